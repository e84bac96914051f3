package org.stemstream.emulator;

import static org.stemstream.protocol.FrameGeometry.FRAME_BYTES;
import static org.stemstream.protocol.FrameGeometry.SECTORS;
import static org.stemstream.protocol.FrameGeometry.SECTOR_BYTES;
import static org.stemstream.protocol.FrameGeometry.SECTOR_PIXELS;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.stemstream.protocol.BlockHeader;
import org.stemstream.simulator.SyntheticDetector;
import org.stemstream.simulator.SyntheticScan;

/**
 * Frames from the synthetic detector. With a bank ({@code distinctFrames > 0}) the distinct frames are rendered once
 * and their sector arrays shared by every send, so the emulator runs as fast as the sockets; without one, each
 * producer renders its own sector of every frame (each with its own detector: same seed, same pixels).
 */
public final class SyntheticFeed implements FrameFeed {
    private final SyntheticScan scan;
    private final SyntheticDetector.Truth truth;
    /** [bank frame][sector] payloads, or null without a bank. */
    private final byte[][][] bank;

    public SyntheticFeed(SyntheticScan scan, SyntheticDetector.Truth truth) {
        this.scan = scan;
        this.truth = truth;
        this.bank = scan.distinctFrames() > 0 ? renderBank() : null;
    }

    /** An electron of a bank frame, as the detector reported it. */
    private record Electron(double row, double col, double charge, int peak, double peakCharge) {
    }

    /** Renders the distinct frames once, then reports the truth of every frame of the scan (which repeats them). */
    private byte[][][] renderBank() {
        int distinct = (int) Math.min(scan.distinctFrames(), scan.frames());
        byte[][][] frames = new byte[distinct][SECTORS][];
        List<List<Electron>> electrons = new ArrayList<>();
        ByteBuffer frame = ByteBuffer.allocate(FRAME_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        for (int b = 0; b < distinct; b++) {
            List<Electron> found = new ArrayList<>();
            scan.detector().frame(b + 1, frame, new SyntheticDetector.Truth() {
                @Override
                public void electron(long f, double row, double col, double charge, int peak, double peakCharge) {
                    found.add(new Electron(row, col, charge, peak, peakCharge));
                }

                @Override
                public void xray(long f, int row, int col, int value) {
                }
            });
            electrons.add(found);
            for (int s = 0; s < SECTORS; s++) {
                frames[b][s] = Arrays.copyOfRange(frame.array(), s * SECTOR_BYTES, (s + 1) * SECTOR_BYTES);
            }
        }
        for (long f = 1; f <= scan.frames(); f++) {
            for (Electron e : electrons.get((int) (scan.sourceFrame(f) - 1))) {
                truth.electron(f, e.row(), e.col(), e.charge(), e.peak(), e.peakCharge());
            }
        }
        return frames;
    }

    @Override
    public long scanNumber() {
        return scan.scanNumber();
    }

    @Override
    public int frames() {
        return scan.frames();
    }

    @Override
    public SectorReader reader(int sector) {
        SyntheticScan own = bank != null ? scan : scan.withOwnDetector();
        return new SectorReader() {
            @Override
            public BlockHeader header(int index) {
                return own.header(index + 1L);
            }

            @Override
            public byte[] payload(int index) {
                if (bank != null) {
                    return bank[(int) (own.sourceFrame(index + 1L) - 1)][sector];
                }
                ByteBuffer out = ByteBuffer.allocate(SECTOR_PIXELS * 2).order(ByteOrder.LITTLE_ENDIAN);
                own.sector(index + 1L, sector, out, truth);
                return out.array();
            }
        };
    }
}
