package org.stemstream.tools.bench;

import static org.stemstream.protocol.FrameGeometry.SECTORS;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.stemstream.node.counting.CountingSetup;
import org.stemstream.node.counting.OfflineCounter;
import org.stemstream.node.counting.ProgressLine;
import org.stemstream.node.counting.ThresholdPolicy;
import org.stemstream.emulator.FrameFeed;
import org.stemstream.protocol.RawScan;

/**
 * The file-based workflow the facility runs today, on this machine: the four receivers write their sectors to raw
 * files, a bulk copy moves the files to another directory (the computing centre), and {@code count} counts them.
 */
public final class TimeToScience {
    /** Seconds for each step. */
    public record FileWorkflow(double write, double copy, double count) {
        public double total() {
            return write + copy + count;
        }

        public String describe() {
            return String.format(Locale.ROOT, "write raw files %.2f s + copy %.2f s + count %.2f s = %.2f s", write,
                    copy, count, total());
        }
    }

    private TimeToScience() {
    }

    public static FileWorkflow run(FrameFeed feed, Path workDir, int threads) throws Exception {
        Path receivers = Files.createDirectories(workDir.resolve("receivers"));
        Path centre = Files.createDirectories(workDir.resolve("computing-centre"));
        long start = System.nanoTime();
        List<Path> written = writeRawFiles(feed, receivers);
        long wrote = System.nanoTime();
        List<Path> copied = new ArrayList<>();
        for (Path f : written) {
            Path to = centre.resolve(f.getFileName());
            Files.copy(f, to);
            copied.add(to);
        }
        long copiedAt = System.nanoTime();
        try (RawScan scan = RawScan.open(copied)) {
            OfflineCounter.count(scan, CountingSetup.of(null, null, null, null, ThresholdPolicy.Computed.DEFAULT),
                    workDir.resolve("counted.h5"), threads, ProgressLine.silent(scan.frameSlots()));
        }
        long counted = System.nanoTime();
        return new FileWorkflow((wrote - start) / 1e9, (copiedAt - wrote) / 1e9, (counted - copiedAt) / 1e9);
    }

    /** Each receiver writes its sector's blocks to its own file, as the facility's producers do without a stream. */
    private static List<Path> writeRawFiles(FrameFeed feed, Path dir) throws Exception {
        ExecutorService writers = Executors.newFixedThreadPool(SECTORS);
        try {
            List<Future<Path>> files = new ArrayList<>();
            for (int s = 0; s < SECTORS; s++) {
                int sector = s;
                files.add(writers.submit(() -> writeSector(feed, sector, dir)));
            }
            List<Path> out = new ArrayList<>();
            for (Future<Path> f : files) {
                out.add(f.get());
            }
            return out;
        } finally {
            writers.shutdownNow();
        }
    }

    private static Path writeSector(FrameFeed feed, int sector, Path dir) throws IOException {
        Path file = dir.resolve(String.format(Locale.ROOT, "data_scan%010d_module%d_000.data", feed.scanNumber(),
                sector));
        try (FileChannel out = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING); FrameFeed.SectorReader reader = feed.reader(sector)) {
            for (int i = 0; i < feed.frames(); i++) {
                byte[] payload = reader.payload(i);
                ByteBuffer[] block = {ByteBuffer.wrap(reader.header(i).toBytes()), ByteBuffer.wrap(payload)};
                while (block[1].hasRemaining()) {
                    out.write(block);
                }
            }
        }
        return file;
    }
}
