package org.stemstream.node.counting;

import static org.junit.jupiter.api.Assertions.assertEquals;

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

    @Test
    void computedThresholdsMatchStempysWithinTheStatedTolerance() throws Exception {
        Matcher expected = Pattern.compile("thresholds background (\\S+) xray (\\S+)")
                .matcher(Files.readString(Fixtures.tiny().resolve("events-computed-defaults.txt")));
        expected.find();
        Path output = dir.resolve("computed.h5");
        assertEquals(0, Main.run(countArgs(output).toArray(String[]::new)));
        String[] got = H5py.run("""
                import sys, h5py
                m = h5py.File(sys.argv[1], 'r')['metadata/electron_counting'].attrs
                print(repr(float(m['background_threshold'])), repr(float(m['xray_threshold'])),
                      m['thresholds'].decode(), m['frames_counted'], m['frames_incomplete'], m['frames_missing'])
                """, output).split(" ");
        double background = Double.parseDouble(expected.group(1));
        double xray = Double.parseDouble(expected.group(2));
        assertEquals(xray, Double.parseDouble(got[1]), xray * 1e-9);
        assertEquals(background, Double.parseDouble(got[0]), background * 1e-4);
        assertEquals(List.of("computed", "16", "0", "0"), List.of(got).subList(2, 6));
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
