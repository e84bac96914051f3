package org.stemstream.emulator;

import static org.stemstream.protocol.FrameGeometry.SECTOR_BYTES;

import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import org.stemstream.producer.SectorSender;
import org.stemstream.protocol.BlockHeader;
import org.zeromq.ZContext;

/**
 * One emulated receiver server: reads its sector's blocks from the feed, paces them at the run's frame rate, applies
 * the run's faults, and hands them to its {@link SectorSender}, which routes, keeps and ends them.
 */
final class SectorProducer implements Callable<Long> {
    private final ZContext context;
    private final int sector;
    private final FrameFeed feed;
    private final DetectorEmulator.Settings settings;
    private final FaultInjection faults;
    private final AcquisitionStart start;
    private final AtomicBoolean abandoned;
    private long startNanos;
    private volatile long lastSentNanos;
    private volatile SectorSender.Stats stats = new SectorSender.Stats(0, 0, 0, 0, 0, 0, 0, 0, 0, 0);

    SectorProducer(ZContext context, int sector, FrameFeed feed, DetectorEmulator.Settings settings,
                   FaultInjection faults, AcquisitionStart start, AtomicBoolean abandoned) {
        this.context = context;
        this.sector = sector;
        this.feed = feed;
        this.settings = settings;
        this.faults = faults;
        this.start = start;
        this.abandoned = abandoned;
    }

    long lastSentNanos() {
        return lastSentNanos;
    }

    SectorSender.Stats stats() {
        return stats;
    }

    /**
     * Sends the sector's blocks and its ends of scan; returns the number of blocks sent. Stops early, without ends,
     * when another producer of the run gave up.
     */
    @Override
    public Long call() throws Exception {
        boolean ready = false;
        try (FrameFeed.SectorReader reader = feed.reader(sector);
             SectorSender sender = new SectorSender(context, sector, feed.scanNumber(), feed.frames(),
                     settings.sender())) {
            try {
                sender.connect();
                ready = true;
                startNanos = start.await();
                if (sector == 0) {
                    sendFaults(sender, reader);
                }
                for (int i = 0; i < feed.frames() && !abandoned.get(); i++) {
                    pace(i);
                    BlockHeader header = reader.header(i);
                    byte[] payload = reader.payload(i);
                    if (payload != null && !faults.drops(sector, header.frameNumber())) {
                        sender.sendShared(header, payload); // the feed's payloads are read-only
                        if (faults.duplicates(sector, header.frameNumber())) {
                            sender.sendAsIs(header.frameNumber(), header.toBytes(), payload);
                        }
                    }
                    if (i == faults.pauseAfter()) {
                        Thread.sleep(faults.pause().toMillis());
                    }
                }
                lastSentNanos = System.nanoTime();
                if (!abandoned.get()) {
                    if (faults.noEnd().contains(sector)) {
                        sender.finishWithoutEnds();
                    } else {
                        sender.finish();
                    }
                }
                return sender.stats().sent();
            } finally {
                stats = sender.stats();
            }
        } catch (Exception e) {
            abandoned.set(true);
            if (!ready) {
                start.withdraw();
            }
            throw e;
        }
    }

    /** Waits until frame i is due at the configured rate (no wait without a rate). */
    private void pace(int i) {
        if (settings.framesPerSecond() <= 0) {
            return;
        }
        long due = startNanos + (long) (i * 1e9 / settings.framesPerSecond());
        for (long wait = due - System.nanoTime(); wait > 0; wait = due - System.nanoTime()) {
            LockSupport.parkNanos(wait);
        }
    }

    /** Malformed messages of each kind in turn, and blocks of another scan, to the first frame's owner. */
    private void sendFaults(SectorSender sender, FrameFeed.SectorReader reader) throws Exception {
        BlockHeader first = reader.header(0);
        long frame = first.frameNumber();
        byte[] header = first.toBytes();
        byte[] payload = new byte[SECTOR_BYTES];
        for (int i = 0; i < faults.malformed(); i++) {
            switch (i % 5) {
                case 0 -> sender.sendAsIs(frame, header, payload, new byte[1]); // 3 parts
                case 1 -> sender.sendAsIs(frame, header, new byte[100]); // a short payload
                case 2 -> sender.sendAsIs(frame, new byte[10], payload); // a short header
                case 3 -> sender.sendAsIs(frame, new byte[24]); // an end of scan without its mark
                default -> sender.sendAsIs(frame, payload);
            }
        }
        BlockHeader foreign = new BlockHeader((first.scanNumber() + 1) & 0xFFFF_FFFFL, first.frameNumber(),
                first.scanWidth(), first.scanHeight(), first.x(), first.y());
        for (int i = 0; i < faults.foreignBlocks(); i++) {
            sender.sendAsIs(frame, foreign.toBytes(), payload);
        }
    }
}
