package org.stemstream.node.counting;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.stemstream.hdf5.H5py;
import org.stemstream.node.Fixtures;
import org.stemstream.node.cli.Main;
import org.stemstream.protocol.FrameGeometry;

/** {@code stemstream count} on the reference fixtures gives stempy's events exactly, read back by h5py. */
class FixtureParityTest {
    @TempDir
    Path dir;

    private List<String> countArgs(Path output, String... options) throws IOException {
        List<String> args = new ArrayList<>(List.of("count", "-o", output.toString()));
        args.addAll(List.of(options));
        Fixtures.tinyScan(1).forEach(f -> args.add(f.toString()));
        return args;
    }

    private Path onesGain() throws IOException {
        ByteBuffer ones = ByteBuffer.allocate(FrameGeometry.FRAME_PIXELS * 4).order(ByteOrder.LITTLE_ENDIAN);
        while (ones.hasRemaining()) {
            ones.putFloat(1f);
        }
        return Files.write(dir.resolve("gain.f32"), ones.array());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({
        "events-fixed.txt,            --background-threshold=28 --xray-threshold=1000",
        "events-computed-defaults.txt, ",
        "events-dark-gain-fixed.txt,  --dark=DARK --gain=GAIN --background-threshold=8 --xray-threshold=1000",
        "events-dark-uint16-fixed.txt, --dark=DARK --background-threshold=8 --xray-threshold=1000",
    })
    void reproducesTheReferenceEvents(String reference, String options) throws Exception {
        String[] opts = options == null ? new String[0] : options
                .replace("DARK", Fixtures.tiny().resolve("dark_reference.f32").toString())
                .replace("GAIN", options.contains("GAIN") ? onesGain().toString() : "")
                .split(" ");
        Path output = dir.resolve("counted.h5");
        assertEquals(0, Main.run(countArgs(output, opts).toArray(String[]::new)));
        assertEquals(Fixtures.referenceEvents(reference), Fixtures.countedEvents(output));
    }

    /**
     * Checks {@code /metadata/electron_counting} uses stempy's names and types (a numpy bool, str strings, none of our
     * old names), then prints whether the thresholds were calculated and, in stempy's names, their values.
     */
    private static final String STEMPY_METADATA = """
            import sys, h5py, numpy as np
            m = h5py.File(sys.argv[1], 'r')['metadata/electron_counting'].attrs
            old = [k for k in ('xray_threshold', 'xray_threshold_n_sigma', 'thresholds') if k in m]
            assert not old, old
            calculated = m['threshold_calculated']
            assert type(calculated) is np.bool_, type(calculated)
            assert all(type(m[k]) is str for k in ('software', 'dark', 'gain', 'correction')), dict(m)
            assert not [k for k, v in m.items() if isinstance(v, (bytes, np.bytes_))], dict(m)
            stats = ['number_of_samples', 'min_sample', 'max_sample', 'mean', 'variance', 'std_dev', 'number_of_bins',
                     'x_ray_threshold_n_sigma', 'background_threshold_n_sigma', 'optimized_mean', 'optimized_std_dev']
            if not calculated:
                assert not [k for k in stats + ['threshold_frames'] if k in m], dict(m)
                stats = []
            print(calculated, repr(float(m['background_threshold'])), repr(float(m['x_ray_threshold'])),
                  *[repr(m[k].item()) for k in stats])
            """;

    @Test
    void computedThresholdsMatchStempysWithinTheStatedTolerance() throws Exception {
        Matcher expected = Pattern.compile("thresholds background (\\S+) xray (\\S+) \\(sample mean (\\S+) std (\\S+)"
                + " fitted mean (\\S+) fitted sigma ([^)\\s]+)")
                .matcher(Files.readString(Fixtures.tiny().resolve("events-computed-defaults.txt")));
        expected.find();
        Path output = dir.resolve("computed.h5");
        assertEquals(0, Main.run(countArgs(output).toArray(String[]::new)));
        String[] got = H5py.run(STEMPY_METADATA, output).split(" ");
        assertEquals("True", got[0], "threshold_calculated");
        double background = Double.parseDouble(expected.group(1));
        double xray = Double.parseDouble(expected.group(2));
        assertEquals(xray, Double.parseDouble(got[2]), xray * 1e-9);
        assertEquals(background, Double.parseDouble(got[1]), background * 1e-4);
        // number_of_samples and the sigmas are stempy's defaults; mean and std_dev those of its samples
        assertEquals("40", got[3]);
        assertEquals(List.of("10.0", "4.0"), List.of(got).subList(10, 12));
        double mean = Double.parseDouble(expected.group(3));
        double std = Double.parseDouble(expected.group(4));
        assertEquals(mean, Double.parseDouble(got[6]), mean * 1e-9, "mean");
        assertEquals(std * std, Double.parseDouble(got[7]), std * std * 1e-9, "variance");
        assertEquals(std, Double.parseDouble(got[8]), std * 1e-9, "std_dev");
        double sampleMean = Double.parseDouble(got[6]);
        assertTrue(Double.parseDouble(got[4]) <= sampleMean && sampleMean <= Double.parseDouble(got[5]),
                "min_sample <= mean <= max_sample");
        assertTrue(Integer.parseInt(got[9]) > 0, "number_of_bins");
        assertEquals(Double.parseDouble(expected.group(5)), Double.parseDouble(got[12]), 1e-2, "optimized_mean");
        assertEquals(Double.parseDouble(expected.group(6)), Double.parseDouble(got[13]), 1e-2, "optimized_std_dev");
        assertEquals("16 0 0", H5py.run("""
                import sys, h5py
                m = h5py.File(sys.argv[1], 'r')['metadata/electron_counting'].attrs
                print(m['frames_counted'], m['frames_incomplete'], m['frames_missing'])
                """, output));
    }

    @Test
    void givenThresholdsAreRecordedAsNotCalculated() throws Exception {
        Path output = dir.resolve("given.h5");
        assertEquals(0, Main.run(countArgs(output, "--background-threshold=28", "--xray-threshold=1000")
                .toArray(String[]::new)));
        assertEquals("False 28.0 1000.0", H5py.run(STEMPY_METADATA, output));
    }

    @Test
    void theFileLoadsWithStempysLayout() throws Exception {
        Path output = dir.resolve("layout.h5");
        assertEquals(0, Main.run(countArgs(output, "--background-threshold=28", "--xray-threshold=1000")
                .toArray(String[]::new)));
        String layout = H5py.run("""
                import sys, h5py, numpy as np
                f = h5py.File(sys.argv[1], 'r')
                frames, positions = f['electron_events/frames'], f['electron_events/scan_positions']
                print(f.attrs['version'], frames.shape, np.dtype(frames.dtype.metadata['vlen']).name,
                      frames.attrs['Nx'], frames.attrs['Ny'], positions.attrs['Nx'], positions.attrs['Ny'],
                      list(positions[()]) == list(range(16)), sorted(f['metadata'].keys()))
                """, output);
        assertEquals("3 (16,) uint32 576 576 4 4 True ['electron_counting']", layout);
    }

}
