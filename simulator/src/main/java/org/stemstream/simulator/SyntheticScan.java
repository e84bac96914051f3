package org.stemstream.simulator;

import static org.stemstream.protocol.FrameGeometry.SECTORS;
import static org.stemstream.protocol.FrameGeometry.SECTOR_BYTES;

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
 * <p>Frame numbers start at 1 and run position-major: frame f is at position (f - 1) / framesPerPosition. With
 * {@code distinctFrames} > 0 the pixels repeat every that many frames (frame f shows detector frame
 * {@link #sourceFrame}), so that a fast sender can render a bank once and stream it; 0 makes every frame distinct.
 * With a {@link Specimen} (null for a featureless beam) each frame shows the beam as the specimen leaves it at the
 * frame's position, so every frame is distinct.
 */
public record SyntheticScan(long scanNumber, int scanWidth, int scanHeight, int framesPerPosition,
                            SyntheticDetector detector, int distinctFrames, Specimen specimen) {

    public SyntheticScan {
        if (specimen != null && distinctFrames != 0) {
            throw new IllegalArgumentException("a scan over a specimen has no bank of repeated frames: every"
                    + " position shows the specimen differently");
        }
    }

    public SyntheticScan(long scanNumber, int scanWidth, int scanHeight, int framesPerPosition,
                         SyntheticDetector detector, int distinctFrames) {
        this(scanNumber, scanWidth, scanHeight, framesPerPosition, detector, distinctFrames, null);
    }

    public SyntheticScan(long scanNumber, int scanWidth, int scanHeight, int framesPerPosition,
                         SyntheticDetector detector) {
        this(scanNumber, scanWidth, scanHeight, framesPerPosition, detector, 0);
    }

    /** The same scan over {@code specimen}, every frame rendered. */
    public SyntheticScan over(Specimen specimen) {
        return new SyntheticScan(scanNumber, scanWidth, scanHeight, framesPerPosition, detector, 0, specimen);
    }

    /** The same scan with its own detector (same seed, same pixels), for another thread. */
    public SyntheticScan withOwnDetector() {
        return new SyntheticScan(scanNumber, scanWidth, scanHeight, framesPerPosition, detector.copy(),
                distinctFrames, specimen);
    }

    /** What the specimen does to the beam at frame {@code frameNumber}'s position. */
    public Specimen.Probe probe(long frameNumber) {
        if (specimen == null) {
            return Specimen.Probe.NONE;
        }
        int position = (int) ((frameNumber - 1) / framesPerPosition);
        return specimen.at(position % scanWidth, position / scanWidth, scanWidth, scanHeight);
    }

    /** The detector frame whose pixels frame {@code frameNumber} shows. */
    public long sourceFrame(long frameNumber) {
        return distinctFrames > 0 ? (frameNumber - 1) % distinctFrames + 1 : frameNumber;
    }

    /** Renders frame {@code frameNumber} of the scan, reporting its electrons under that frame number. */
    public void frame(long frameNumber, ByteBuffer out, SyntheticDetector.Truth truth) {
        detector.frame(sourceFrame(frameNumber), probe(frameNumber), out, renumbered(frameNumber, truth));
    }

    /** Renders one sector of frame {@code frameNumber}. */
    public void sector(long frameNumber, int sector, ByteBuffer out, SyntheticDetector.Truth truth) {
        detector.sector(sourceFrame(frameNumber), sector, probe(frameNumber), out, renumbered(frameNumber, truth));
    }

    private static SyntheticDetector.Truth renumbered(long frameNumber, SyntheticDetector.Truth truth) {
        if (truth == SyntheticDetector.NO_TRUTH) {
            return truth;
        }
        return new SyntheticDetector.Truth() {
            @Override
            public void electron(long f, double row, double col, double charge, int peakPixel, double peakCharge) {
                truth.electron(frameNumber, row, col, charge, peakPixel, peakCharge);
            }

            @Override
            public void xray(long f, int row, int col, int value) {
                truth.xray(frameNumber, row, col, value);
            }
        };
    }

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
     * {@code filesPerModule} files per module, plus {@code truth_electrons.csv} and {@code truth_xrays.csv} (and
     * {@code specimen_truth.csv} over a specimen).
     *
     * @return the raw files written
     */
    public List<Path> writeRawFiles(Path dir, int filesPerModule) throws IOException {
        Files.createDirectories(dir);
        List<Path> files = new ArrayList<>();
        FileChannel[][] channels = new FileChannel[SECTORS][filesPerModule];
        ByteBuffer block = ByteBuffer.allocateDirect(BlockHeader.BYTES + SECTOR_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer frame = ByteBuffer.allocateDirect(SECTORS * SECTOR_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        if (specimen != null) {
            specimen.writeTruth(dir, scanWidth, scanHeight);
        }
        try (TruthFiles truth = new TruthFiles(dir, framesPerPosition)) {
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
                frame(f, frame, truth);
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
}
