package org.stemstream.simulator;

import static org.stemstream.protocol.FrameGeometry.SECTORS;
import static org.stemstream.protocol.FrameGeometry.SECTOR_BYTES;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.stemstream.protocol.BlockHeader;

/**
 * A synthetic scan: which frames a {@link SyntheticDetector} produces for a scan of a given size, and writing them as
 * 4D Camera raw files (version 5) with the ground truth beside them.
 *
 * <p>Frame numbers start at 1 and run position-major: frame f is at position (f - 1) / framesPerPosition.
 */
public record SyntheticScan(long scanNumber, int scanWidth, int scanHeight, int framesPerPosition,
                            SyntheticDetector detector) {

    public int frames() {
        return scanWidth * scanHeight * framesPerPosition;
    }

    /** The header of sector blocks of the frame with number {@code frameNumber} (1-based). */
    public BlockHeader header(long frameNumber) {
        int position = (int) ((frameNumber - 1) / framesPerPosition);
        return new BlockHeader(scanNumber, frameNumber, scanWidth, scanHeight,
                position % scanWidth, position / scanWidth);
    }

    /**
     * Writes the scan as raw files {@code data_scan{n}_module{m}_{k}.data}, blocks dealt round-robin over
     * {@code filesPerModule} files per module, plus {@code truth_electrons.csv} and {@code truth_xrays.csv}.
     *
     * @return the raw files written
     */
    public List<Path> writeRawFiles(Path dir, int filesPerModule) throws IOException {
        Files.createDirectories(dir);
        List<Path> files = new ArrayList<>();
        FileChannel[][] channels = new FileChannel[SECTORS][filesPerModule];
        ByteBuffer block = ByteBuffer.allocateDirect(BlockHeader.BYTES + SECTOR_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer frame = ByteBuffer.allocateDirect(SECTORS * SECTOR_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        try (TruthCsv truth = new TruthCsv(dir, framesPerPosition)) {
            for (int m = 0; m < SECTORS; m++) {
                for (int k = 0; k < filesPerModule; k++) {
                    Path file = dir.resolve(String.format(Locale.ROOT, "data_scan%010d_module%d_%03d.data",
                            scanNumber, m, k));
                    files.add(file);
                    channels[m][k] = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                            StandardOpenOption.TRUNCATE_EXISTING);
                }
            }
            for (long f = 1; f <= frames(); f++) {
                detector.frame(f, frame, truth);
                BlockHeader header = header(f);
                for (int m = 0; m < SECTORS; m++) {
                    block.clear();
                    header.write(block);
                    block.put(frame.slice(m * SECTOR_BYTES, SECTOR_BYTES));
                    block.flip();
                    FileChannel out = channels[m][(int) ((f - 1) % filesPerModule)];
                    while (block.hasRemaining()) {
                        out.write(block);
                    }
                }
            }
        } finally {
            for (FileChannel[] module : channels) {
                for (FileChannel c : module) {
                    if (c != null) {
                        c.close();
                    }
                }
            }
        }
        return files;
    }

    /** The ground truth as CSV, in the fixtures' columns. */
    private static final class TruthCsv implements SyntheticDetector.Truth, AutoCloseable {
        private final BufferedWriter electrons;
        private final BufferedWriter xrays;
        private final int framesPerPosition;

        TruthCsv(Path dir, int framesPerPosition) throws IOException {
            this.framesPerPosition = framesPerPosition;
            electrons = Files.newBufferedWriter(dir.resolve("truth_electrons.csv"));
            xrays = Files.newBufferedWriter(dir.resolve("truth_xrays.csv"));
            electrons.write("image,frame_number,row,col,charge,peak_pixel_index,peak_pixel_charge\n");
            xrays.write("image,frame_number,row,col,value\n");
        }

        @Override
        public void electron(long frame, double row, double col, double charge, int peakPixel, double peakCharge) {
            write(electrons, String.format(Locale.ROOT, "%d,%d,%.6f,%.6f,%.4f,%d,%.4f%n",
                    (frame - 1) / framesPerPosition, frame, row, col, charge, peakPixel, peakCharge));
        }

        @Override
        public void xray(long frame, int row, int col, int value) {
            write(xrays, String.format(Locale.ROOT, "%d,%d,%d,%d,%d%n",
                    (frame - 1) / framesPerPosition, frame, row, col, value));
        }

        private static void write(BufferedWriter out, String line) {
            try {
                out.write(line);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }

        @Override
        public void close() throws IOException {
            electrons.close();
            xrays.close();
        }
    }

}
