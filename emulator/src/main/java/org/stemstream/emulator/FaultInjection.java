package org.stemstream.emulator;

import java.time.Duration;
import java.util.HashSet;
import java.util.Set;

/**
 * Test hooks of the emulated detector: faults a real detector would never add on purpose, to show how the node
 * copes. {@link #NONE} for a well-behaved detector.
 *
 * @param drop          blocks not sent, as {@code sector:frame} pairs
 * @param duplicate     blocks sent twice, as {@code sector:frame} pairs
 * @param malformed     malformed messages sector 0's producer sends before its first block (every kind in turn)
 * @param foreignBlocks blocks of another scan number sector 0's producer sends before its first block
 * @param pauseAfter    the frame index after which every producer pauses for {@code pause} (-1: never)
 * @param noEnd         sectors whose producer sends no end of scan
 */
public record FaultInjection(Set<SectorFrame> drop, Set<SectorFrame> duplicate, int malformed, int foreignBlocks,
                             long pauseAfter, Duration pause, Set<Integer> noEnd) {

    public static final FaultInjection NONE = new FaultInjection(Set.of(), Set.of(), 0, 0, -1, Duration.ZERO,
            Set.of());

    /** A sector of a frame, by frame number. */
    public record SectorFrame(int sector, long frameNumber) {
        /** Parses {@code sector:frame}. */
        public static SectorFrame parse(String text) {
            String[] parts = text.strip().split(":");
            try {
                if (parts.length == 2) {
                    SectorFrame f = new SectorFrame(Integer.parseInt(parts[0]), Long.parseLong(parts[1]));
                    if (f.sector >= 0 && f.sector < 4 && f.frameNumber >= 0) {
                        return f;
                    }
                }
            } catch (NumberFormatException e) {
                // reported below
            }
            throw new IllegalArgumentException("'" + text + "' is not SECTOR:FRAME with a sector from 0 to 3");
        }
    }

    public static Set<SectorFrame> parseAll(Iterable<String> items) {
        Set<SectorFrame> out = new HashSet<>();
        for (String item : items) {
            out.add(SectorFrame.parse(item));
        }
        return out;
    }

    public boolean drops(int sector, long frameNumber) {
        return drop.contains(new SectorFrame(sector, frameNumber));
    }

    public boolean duplicates(int sector, long frameNumber) {
        return duplicate.contains(new SectorFrame(sector, frameNumber));
    }

    public FaultInjection withDrop(Set<SectorFrame> frames) {
        return new FaultInjection(frames, duplicate, malformed, foreignBlocks, pauseAfter, pause, noEnd);
    }

    public FaultInjection withDuplicate(Set<SectorFrame> frames) {
        return new FaultInjection(drop, frames, malformed, foreignBlocks, pauseAfter, pause, noEnd);
    }

    public FaultInjection withMalformed(int count, int foreign) {
        return new FaultInjection(drop, duplicate, count, foreign, pauseAfter, pause, noEnd);
    }

    public FaultInjection withPause(long afterFrameIndex, Duration length) {
        return new FaultInjection(drop, duplicate, malformed, foreignBlocks, afterFrameIndex, length, noEnd);
    }

    public FaultInjection withoutEnd(Set<Integer> sectors) {
        return new FaultInjection(drop, duplicate, malformed, foreignBlocks, pauseAfter, pause, sectors);
    }
}
