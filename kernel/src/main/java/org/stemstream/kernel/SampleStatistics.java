package org.stemstream.kernel;

import static org.stemstream.protocol.FrameGeometry.FRAME_PIXELS;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;

/**
 * What thresholds need to know of sample frames, in a form that adds up: the count, sum and sum of squares of the
 * corrected values, their range, and a histogram by {@code floor(value)}. Frames sampled on different nodes merge
 * exactly as if one node had seen them all; {@link ThresholdCalculator} turns the merged statistics into thresholds.
 *
 * @param frames    the sample frames, with their frame numbers (to pick the lowest K across nodes)
 * @param firstBin  the histogram's first value, {@code floor(min)}
 * @param histogram counts of values with {@code floor(value) = firstBin + i}
 */
public record SampleStatistics(long[] frames, long count, double sum, double sumOfSquares, double min, double max,
                               int firstBin, long[] histogram) {

    /** The statistics of one frame's corrected values (signed, or float with a gain: never wrapped). */
    public static SampleStatistics of(long frameNumber, ByteBuffer frame, PixelCorrection correction) {
        double sum = 0;
        double squares = 0;
        double min = Double.POSITIVE_INFINITY;
        double max = Double.NEGATIVE_INFINITY;
        for (int p = 0; p < FRAME_PIXELS; p++) {
            double v = correction.sampleValue(p, frame.getShort(p << 1) & 0xFFFF);
            sum += v;
            squares += v * v;
            min = Math.min(min, v);
            max = Math.max(max, v);
        }
        if (!Double.isFinite(sum) || !Double.isFinite(squares)) {
            throw new IllegalArgumentException("threshold samples hold values that are not numbers"
                    + " (check the dark reference and the gain)");
        }
        int first = (int) Math.floor(min);
        long span = (long) Math.floor(max) - first + 1;
        if (span > ThresholdCalculator.MAX_BINS) {
            throw new IllegalArgumentException("threshold samples span " + span + " unit bins (from " + min + " to "
                    + max + "); check the dark reference and the gain");
        }
        long[] histogram = new long[(int) span];
        for (int p = 0; p < FRAME_PIXELS; p++) {
            histogram[(int) Math.floor(correction.sampleValue(p, frame.getShort(p << 1) & 0xFFFF)) - first]++;
        }
        return new SampleStatistics(new long[] {frameNumber}, FRAME_PIXELS, sum, squares, min, max, first, histogram);
    }

    /** Both samples together. */
    public SampleStatistics merge(SampleStatistics other) {
        int first = Math.min(firstBin, other.firstBin);
        int last = Math.max(firstBin + histogram.length, other.firstBin + other.histogram.length);
        long[] merged = new long[last - first];
        for (int i = 0; i < histogram.length; i++) {
            merged[firstBin - first + i] += histogram[i];
        }
        for (int i = 0; i < other.histogram.length; i++) {
            merged[other.firstBin - first + i] += other.histogram[i];
        }
        long[] both = Arrays.copyOf(frames, frames.length + other.frames.length);
        System.arraycopy(other.frames, 0, both, frames.length, other.frames.length);
        return new SampleStatistics(both, count + other.count, sum + other.sum, sumOfSquares + other.sumOfSquares,
                Math.min(min, other.min), Math.max(max, other.max), first, merged);
    }

    public static SampleStatistics mergeAll(List<SampleStatistics> samples) {
        if (samples.isEmpty()) {
            throw new IllegalArgumentException("no complete frame to compute thresholds from");
        }
        SampleStatistics all = samples.get(0);
        for (int i = 1; i < samples.size(); i++) {
            all = all.merge(samples.get(i));
        }
        return all;
    }
}
