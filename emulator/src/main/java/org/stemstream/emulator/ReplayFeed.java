package org.stemstream.emulator;

import static org.stemstream.protocol.FrameGeometry.SECTOR_BYTES;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.IntStream;
import org.stemstream.protocol.BlockHeader;
import org.stemstream.protocol.RawScan;
import org.stemstream.protocol.SectorLayout;

/** Frames replayed from 4D Camera raw files (version 5), in frame-number order; missing sectors are not sent. */
public final class ReplayFeed implements FrameFeed, AutoCloseable {
    private final RawScan scan;
    private final int[] order;

    public ReplayFeed(List<Path> files) throws IOException {
        this.scan = RawScan.open(files, SectorLayout.HORIZONTAL_STRIPS, 0);
        this.order = IntStream.range(0, scan.frameSlots()).filter(slot -> !scan.isMissing(slot)).boxed()
                .sorted(Comparator.comparingLong(scan::frameNumber)).mapToInt(Integer::intValue).toArray();
    }

    @Override
    public long scanNumber() {
        return scan.scanNumber();
    }

    @Override
    public int frames() {
        return order.length;
    }

    @Override
    public SectorReader reader(int sector) throws IOException {
        RawScan own = scan.copy();
        return new SectorReader() {
            @Override
            public BlockHeader header(int index) {
                return own.header(order[index]);
            }

            @Override
            public byte[] payload(int index) throws IOException {
                byte[] payload = new byte[SECTOR_BYTES];
                return own.readSector(order[index], sector, ByteBuffer.wrap(payload)) ? payload : null;
            }

            @Override
            public void close() throws IOException {
                own.close();
            }
        };
    }

    @Override
    public void close() throws IOException {
        scan.close();
    }
}
