package org.stemstream.node;

import java.io.IOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.stemstream.hdf5.H5py;

/**
 * The reference fixtures, test resources of this module ({@code src/test/resources/fixtures}, described in its
 * README), and reading counted files back through h5py.
 */
public final class Fixtures {
    private Fixtures() {
    }

    /** The folder of the tiny fixture, on the test classpath (a plain folder: the tests pass its files' paths on). */
    public static Path tiny() {
        URL url = Fixtures.class.getResource("/fixtures/tiny");
        if (url == null) {
            throw new AssertionError("fixtures/tiny not on the test classpath (src/test/resources/fixtures)");
        }
        try {
            return Path.of(url.toURI());
        } catch (URISyntaxException e) {
            throw new AssertionError(e);
        }
    }

    /** The raw files of the tiny fixture's scan number 1 (signal) or 2 (dark). */
    public static List<Path> tinyScan(int scanNumber) throws IOException {
        try (Stream<Path> files = Files.list(tiny())) {
            return files.filter(f -> f.getFileName().toString().startsWith(String.format("data_scan%010d_", scanNumber)))
                    .sorted().toList();
        }
    }

    /** Reference events: per frame slot, the event line {@code "<n> <idx...>"}. */
    public static List<String> referenceEvents(String file) throws IOException {
        List<String> out = new ArrayList<>();
        for (String line : Files.readAllLines(tiny().resolve(file))) {
            if (!line.startsWith("#") && !line.isBlank()) {
                String[] parts = line.strip().split("\\s+", 3);
                out.add(parts.length > 2 ? parts[2] : "0");
            }
        }
        return out;
    }

    /**
     * The events {@code stemstream count} gives for a synthetic scan's frames written as raw files (the reference a
     * streamed run must match), one line per frame slot.
     */
    public static List<String> offlineEvents(org.stemstream.simulator.SyntheticScan scan, Path dir,
                                             String... countOptions) throws Exception {
        List<String> args = new ArrayList<>(List.of("count", "-o", dir.resolve("offline.h5").toString()));
        args.addAll(List.of(countOptions));
        scan.writeRawFiles(dir.resolve("raw"), 1).forEach(f -> args.add(f.toString()));
        if (org.stemstream.node.cli.Main.run(args.toArray(String[]::new)) != 0) {
            throw new AssertionError("offline counting failed: " + args);
        }
        return countedEvents(dir.resolve("offline.h5"));
    }

    /** A counted file's events as h5py reads them, one line {@code "<n> <idx...>"} per frame slot. */
    public static List<String> countedEvents(Path h5) throws IOException, InterruptedException {
        String out = H5py.run("""
                import sys, h5py
                with h5py.File(sys.argv[1], 'r') as f:
                    for frame in f['electron_events/frames'][()]:
                        print(' '.join([str(len(frame))] + [str(v) for v in frame]))
                """, h5);
        return out.isEmpty() ? List.of() : List.of(out.split("\n"));
    }
}
