package org.stemstream.node.counting;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stemstream.protocol.FrameGeometry;
import org.stemstream.protocol.RawScan;
import org.stemstream.simulator.GroundTruth;
import org.stemstream.simulator.SyntheticDetector;
import org.stemstream.simulator.SyntheticScan;

/** Counting finds the generator's electrons, and a real dark reference with computed thresholds helps, not hurts. */
class SyntheticRecallTest {
    @TempDir
    Path dir;

    private static double recall(List<Path> files, CountingSetup setup, GroundTruth truth, Path output) throws Exception {
        AtomicLong found = new AtomicLong();
        try (RawScan scan = RawScan.open(files)) {
            CountSummary summary = OfflineCounter.count(scan, setup, output, 2, ProgressLine.silent(scan.frameSlots()),
                    (slot, frame, events, n) -> found.addAndGet(truth.found(frame, events, n, FrameGeometry.FRAME_WIDTH)));
            assertEquals(scan.frameSlots(), summary.framesCounted());
        }
        return (double) found.get() / truth.electrons();
    }

    @Test
    void aRealDarkWithComputedThresholdsFindsAtLeastAsManyElectrons() throws Exception {
        long seed = 5;
        SyntheticScan signal = new SyntheticScan(1, 6, 6, 1, SyntheticDetector.typical(seed));
        List<Path> files = signal.writeRawFiles(dir.resolve("signal"), 1);
        // The same detector (same seed: same dark offsets and noise) with the beam off.
        List<Path> dark = new SyntheticScan(2, 4, 4, 1, new SyntheticDetector(seed, 0, 0))
                .writeRawFiles(dir.resolve("dark"), 1);
        GroundTruth truth = GroundTruth.read(dir.resolve("signal/truth_electrons.csv"));
        ThresholdPolicy computed = new ThresholdPolicy.Computed(4, 40, 4, 10);

        double plain = recall(files, CountingSetup.of(null, null, null, null, computed), truth, dir.resolve("a.h5"));
        float[] darkReference = References.darkFromScan(dark);
        double withDark = recall(files, CountingSetup.of(darkReference, "dark scan", null, null, computed), truth,
                dir.resolve("b.h5"));

        assertTrue(truth.electrons() > 1000, "enough electrons to judge: " + truth.electrons());
        System.out.printf("recall without dark %.4f, with dark %.4f%n", plain, withDark);
        assertTrue(plain > 0.75, "recall without dark " + plain);
        assertTrue(withDark >= plain, "recall with dark " + withDark + " below " + plain);
    }
}
