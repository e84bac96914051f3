package org.stemstream.node.counting;

import java.util.LinkedHashMap;
import java.util.Map;
import org.stemstream.hdf5.SparseCountsWriter;
import org.stemstream.kernel.ThresholdStatistics;
import org.stemstream.protocol.cluster.ScanRequest;

/**
 * The metadata written beside the events: {@code /metadata/electron_counting} attributes (thresholds, sample
 * statistics, dark and gain, frame accounting) and {@code /frame_status} lists of incomplete and missing frame slots.
 */
public final class CountedScanMetadata {
    public static final String SOFTWARE = "stemstream " + version();

    private CountedScanMetadata() {
    }

    public static void write(SparseCountsWriter writer, CountingSetup setup, CountSummary summary) {
        Map<String, Object> a = new LinkedHashMap<>();
        a.put("software", SOFTWARE);
        a.put("scan_number", summary.scanNumber());
        thresholds(a, summary.thresholds().background(), summary.thresholds().xray(), summary.statistics());
        a.putAll(setup.describe());
        a.put("frames_expected", summary.framesExpected());
        a.put("frames_counted", summary.framesCounted());
        a.put("frames_incomplete", summary.framesIncomplete());
        a.put("frames_missing", summary.framesMissing());
        a.put("events", summary.events());
        writer.metadata("electron_counting", a);
        writer.dataset("frame_status", "incomplete", summary.incompleteSlots());
        writer.dataset("frame_status", "missing", summary.missingSlots());
    }

    /** The attributes of a streamed scan that the coordinator knows (the writer adds the frame accounting). */
    public static Map<String, Object> attributes(ScanRequest r, double background, double xray,
                                                 ThresholdStatistics statistics) {
        Map<String, Object> a = new LinkedHashMap<>();
        a.put("software", SOFTWARE);
        a.put("scan_number", r.scanNumber());
        if (!Double.isNaN(background)) {
            thresholds(a, background, xray, statistics);
        }
        String dark = r.dark() != null ? r.dark() : r.darkScan().isEmpty() ? "none"
                : "mean of dark scan " + r.darkScan();
        a.put("dark", dark);
        a.put("gain", r.gain() == null ? "none" : r.gain());
        a.put("correction", r.gain() != null ? "float32 (raw - dark) * gain"
                : dark.equals("none") ? "raw values" : "uint16 (raw - dark), wrapping");
        return a;
    }

    /** In stempy's names, with its types (threshold_calculated a bool); threshold_frames is ours. */
    private static void thresholds(Map<String, Object> a, double background, double xray, ThresholdStatistics s) {
        a.put("threshold_calculated", s != null);
        a.put("background_threshold", background);
        a.put("x_ray_threshold", xray);
        if (s != null) {
            a.put("threshold_frames", s.sampleFrames());
            a.put("number_of_samples", s.samples());
            a.put("min_sample", s.minSample());
            a.put("max_sample", s.maxSample());
            a.put("mean", s.mean());
            a.put("variance", s.stdDev() * s.stdDev());
            a.put("std_dev", s.stdDev());
            a.put("number_of_bins", s.bins());
            a.put("x_ray_threshold_n_sigma", s.xraySigma());
            a.put("background_threshold_n_sigma", s.backgroundSigma());
            a.put("optimized_mean", s.fittedMean());
            a.put("optimized_std_dev", s.fittedSigma());
        }
    }

    private static String version() {
        String v = CountedScanMetadata.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }
}
