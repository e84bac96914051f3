package org.stemstream.node.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.stemstream.node.Fixtures;
import org.stemstream.node.StemstreamNode;
import org.stemstream.node.TestNodes;
import org.stemstream.node.cli.Scans;
import org.stemstream.emulator.DetectorEmulator;
import org.stemstream.emulator.FaultInjection;
import org.stemstream.emulator.SyntheticFeed;
import org.stemstream.protocol.cluster.ScanView;
import org.stemstream.simulator.SyntheticDetector;
import org.stemstream.simulator.SyntheticScan;

/** A scan streamed over real ZeroMQ sockets into a real node gives exactly what offline counting gives. */
class StreamingScanTest {
    @TempDir
    Path dir;

    @Test
    void aStreamedScanGivesExactlyTheEventsOfCountOnTheSameFrames() throws Exception {
        SyntheticScan scan = new SyntheticScan(21, 8, 6, 1, SyntheticDetector.typical(9));
        List<String> offline = Fixtures.offlineEvents(scan, dir, "--background-threshold=29", "--xray-threshold=400");

        try (StemstreamNode node = TestNodes.node(Map.of())) {
            TestNodes.start(node, Scans.given(21, 8, 6, 29, 400, dir.resolve("streamed.h5"), 20));
            DetectorEmulator.run(new SyntheticFeed(scan, SyntheticDetector.NO_TRUTH),
                    DetectorEmulator.Settings.to("127.0.0.1", node.settings().ingressPort()), FaultInjection.NONE);
            ScanView status = TestNodes.awaitFinished(node, 21, Duration.ofSeconds(30));
            assertEquals(ScanView.State.DONE, status.state(), status.describe());
            assertEquals(48, status.framesCounted());
            assertEquals(0, status.framesIncomplete());
            assertEquals(0, status.framesMissing());
            // a finished scan has its pictures beside its file
            assertTrue(java.nio.file.Files.exists(dir.resolve("streamed_scan.png")), "the scan picture");
            assertTrue(java.nio.file.Files.exists(dir.resolve("streamed_diffraction.png")), "the diffraction picture");
        }
        assertEquals(offline, Fixtures.countedEvents(dir.resolve("streamed.h5")));
        // the beam centre the pictures were made about: the synthetic beam's disk is centred on the detector
        String[] centre = org.stemstream.hdf5.H5py.run("""
                import sys, h5py
                m = h5py.File(sys.argv[1], 'r')['metadata/virtual_images'].attrs
                print(float(m['beam_centre_row']), float(m['beam_centre_col']), int(m['bright_field_radius']))
                """, dir.resolve("streamed.h5")).trim().split(" ");
        assertEquals(288, Double.parseDouble(centre[0]), 8, "beam centre row");
        assertEquals(288, Double.parseDouble(centre[1]), 8, "beam centre column");
        assertTrue(Integer.parseInt(centre[2]) > 0, "bright-field radius");
    }

    @Test
    void computedThresholdsInTheStreamMatchOfflineCountingOnTheSameFrames() throws Exception {
        SyntheticScan scan = new SyntheticScan(22, 6, 6, 1, SyntheticDetector.typical(4));
        List<String> offline = Fixtures.offlineEvents(scan, dir);

        try (StemstreamNode node = TestNodes.node(Map.of())) {
            TestNodes.start(node, Scans.computed(22, 6, 6, dir.resolve("streamed.h5"), 20));
            DetectorEmulator.run(new SyntheticFeed(scan, SyntheticDetector.NO_TRUTH),
                    DetectorEmulator.Settings.to("127.0.0.1", node.settings().ingressPort()), FaultInjection.NONE);
            ScanView status = TestNodes.awaitFinished(node, 22, Duration.ofSeconds(30));
            assertEquals(ScanView.State.DONE, status.state(), status.describe());
        }
        String thresholds = """
                import sys, h5py, numpy as np
                m = h5py.File(sys.argv[1], 'r')['metadata/electron_counting'].attrs
                assert type(m['threshold_calculated']) is np.bool_ and m['threshold_calculated'], dict(m)
                assert not [k for k, v in m.items() if isinstance(v, (bytes, np.bytes_))], dict(m)
                assert not [k for k in ('xray_threshold', 'xray_threshold_n_sigma', 'thresholds') if k in m], dict(m)
                print(repr(float(m['background_threshold'])), repr(float(m['x_ray_threshold'])),
                      *[repr(m[k].item()) for k in ('number_of_samples', 'mean', 'std_dev', 'x_ray_threshold_n_sigma',
                                                    'background_threshold_n_sigma', 'optimized_mean')])
                """;
        assertEquals(org.stemstream.hdf5.H5py.run(thresholds, dir.resolve("offline.h5")),
                org.stemstream.hdf5.H5py.run(thresholds, dir.resolve("streamed.h5")));
        assertEquals(offline, Fixtures.countedEvents(dir.resolve("streamed.h5")));
    }
}
