package org.stemstream.protocol;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A scan stored as 4D Camera raw files: any number of files per module, blocks in any order across files.
 *
 * <p>Opening reads only the 16-byte headers, checks them, and indexes every frame slot of the scan in stempy's output
 * order (position-major, frames of a position by frame number). Pixels are read one frame at a time with
 * {@link #readFrame}, so a scan larger than the heap is fine.
 */
public final class RawScan implements AutoCloseable {
    private static final Pattern MODULE = Pattern.compile("module(\\d+)");
    /** Packed index key: frame number (32 bits) | sector (2 bits) | block id (28 bits). */
    private static final int BLOCK_ID_BITS = 28;
    private static final long BLOCK_ID_MASK = (1L << BLOCK_ID_BITS) - 1;

    private final SectorLayout layout;
    private final List<Path> files;
    private final FileChannel[] channels;
    private final long[] firstBlockOfFile;
    private final long scanNumber;
    private final int scanWidth;
    private final int scanHeight;
    private final int framesPerPosition;
    /** Per frame slot: the frame number, or -1 when no sector of it exists. */
    private final long[] slotFrameNumber;
    /** Per frame slot and sector: the block id, or -1 when the sector is missing. */
    private final int[] slotBlock;
    private final ByteBuffer sectorScratch;

    private RawScan(SectorLayout layout, List<Path> files, FileChannel[] channels, long[] firstBlockOfFile,
                    long scanNumber, int scanWidth, int scanHeight, int framesPerPosition,
                    long[] slotFrameNumber, int[] slotBlock) {
        this.layout = layout;
        this.files = files;
        this.channels = channels;
        this.firstBlockOfFile = firstBlockOfFile;
        this.scanNumber = scanNumber;
        this.scanWidth = scanWidth;
        this.scanHeight = scanHeight;
        this.framesPerPosition = framesPerPosition;
        this.slotFrameNumber = slotFrameNumber;
        this.slotBlock = slotBlock;
        this.sectorScratch = ByteBuffer.allocateDirect(layout.blockBytes() - BlockHeader.BYTES)
                .order(ByteOrder.LITTLE_ENDIAN);
    }

    /** Opens version-5 raw files and infers the frames per position. */
    public static RawScan open(List<Path> files) throws IOException {
        return open(files, SectorLayout.HORIZONTAL_STRIPS, 0);
    }

    /**
     * Opens a scan's raw files.
     *
     * @param framesPerPosition frames expected at each probe position, or 0 to take the most found at any position
     */
    public static RawScan open(List<Path> files, SectorLayout layout, int framesPerPosition) throws IOException {
        if (files.isEmpty()) {
            throw new RawFormatException("no raw files given");
        }
        FileChannel[] channels = new FileChannel[files.size()];
        try {
            return new Indexer(files, layout, framesPerPosition, channels).build();
        } catch (IOException | RuntimeException e) {
            closeAll(channels);
            throw e;
        }
    }

    public long scanNumber() {
        return scanNumber;
    }

    public int scanWidth() {
        return scanWidth;
    }

    public int scanHeight() {
        return scanHeight;
    }

    public int framesPerPosition() {
        return framesPerPosition;
    }

    /** Frame slots of the scan: positions times frames per position. */
    public int frameSlots() {
        return slotFrameNumber.length;
    }

    /** The detector's frame number of a slot, or -1 when the frame is missing altogether. */
    public long frameNumber(int slot) {
        return slotFrameNumber[slot];
    }

    /** Bit s set when sector s of the slot's frame exists. */
    public int sectorMask(int slot) {
        int mask = 0;
        for (int s = 0; s < layout.sectors(); s++) {
            if (slotBlock[slot * layout.sectors() + s] >= 0) {
                mask |= 1 << s;
            }
        }
        return mask;
    }

    public boolean isComplete(int slot) {
        return sectorMask(slot) == (1 << layout.sectors()) - 1;
    }

    public boolean isMissing(int slot) {
        return slotFrameNumber[slot] < 0;
    }

    /**
     * Reads a slot's frame into {@code frame} (a little-endian buffer of {@link FrameGeometry#FRAME_BYTES}); missing
     * sectors are zero-filled. Not thread-safe: give each thread its own {@code RawScan#copy()}.
     */
    public void readFrame(int slot, ByteBuffer frame) throws IOException {
        int sectors = layout.sectors();
        for (int s = 0; s < sectors; s++) {
            int block = slotBlock[slot * sectors + s];
            if (block < 0) {
                layout.clear(s, frame);
                continue;
            }
            int file = fileOf(block);
            long offset = (block - firstBlockOfFile[file]) * layout.blockBytes() + BlockHeader.BYTES;
            if (layout == SectorLayout.HORIZONTAL_STRIPS) {
                int at = s * FrameGeometry.SECTOR_BYTES;
                readFully(file, frame.duplicate().limit(at + FrameGeometry.SECTOR_BYTES).position(at), offset);
            } else {
                sectorScratch.clear();
                readFully(file, sectorScratch, offset);
                layout.place(sectorScratch.flip(), s, frame);
            }
        }
    }

    /**
     * Reads one sector's payload of a slot's frame into {@code into} (at its position, which advances); false when
     * that sector is missing.
     */
    public boolean readSector(int slot, int sector, ByteBuffer into) throws IOException {
        int block = slotBlock[slot * layout.sectors() + sector];
        if (block < 0) {
            return false;
        }
        int file = fileOf(block);
        ByteBuffer target = into.duplicate();
        target.limit(target.position() + layout.blockBytes() - BlockHeader.BYTES);
        readFully(file, target, (block - firstBlockOfFile[file]) * layout.blockBytes() + BlockHeader.BYTES);
        into.position(target.position());
        return true;
    }

    /** The header the blocks of a slot's frame carry (as the detector wrote it: scan, frame, size, position). */
    public BlockHeader header(int slot) {
        int position = slot / framesPerPosition;
        return new BlockHeader(scanNumber, slotFrameNumber[slot], scanWidth, scanHeight, position % scanWidth,
                position / scanWidth);
    }

    /** Another reader over the same index and files, for a second thread. */
    public RawScan copy() throws IOException {
        FileChannel[] own = new FileChannel[files.size()];
        try {
            for (int i = 0; i < own.length; i++) {
                own[i] = FileChannel.open(files.get(i), StandardOpenOption.READ);
            }
        } catch (IOException e) {
            closeAll(own);
            throw e;
        }
        return new RawScan(layout, files, own, firstBlockOfFile, scanNumber, scanWidth, scanHeight,
                framesPerPosition, slotFrameNumber, slotBlock);
    }

    @Override
    public void close() throws IOException {
        closeAll(channels);
    }

    private void readFully(int file, ByteBuffer into, long offset) throws IOException {
        long at = offset;
        while (into.hasRemaining()) {
            int n = channels[file].read(into, at);
            if (n < 0) {
                throw RawFormatException.at(files.get(file), at, "file ended while reading a block (was it truncated?)");
            }
            at += n;
        }
    }

    private int fileOf(int block) {
        int i = Arrays.binarySearch(firstBlockOfFile, block);
        if (i >= 0) {
            while (i + 1 < firstBlockOfFile.length && firstBlockOfFile[i + 1] == block) {
                i++; // skip empty files that share the start
            }
            return i;
        }
        return -i - 2;
    }

    private static void closeAll(FileChannel[] channels) throws IOException {
        IOException first = null;
        for (FileChannel c : channels) {
            try {
                if (c != null) {
                    c.close();
                }
            } catch (IOException e) {
                first = first == null ? e : first;
            }
        }
        if (first != null) {
            throw first;
        }
    }

    /** The module (sector) number from a raw file's name, {@code ..._module{m}_...}. */
    public static int moduleOf(Path file, int sectors) throws RawFormatException {
        Matcher m = MODULE.matcher(file.getFileName().toString());
        if (!m.find()) {
            throw new RawFormatException(file + ": the file name has no module number (expected ..._module{0-"
                    + (sectors - 1) + "}_...)");
        }
        int module;
        try {
            module = Integer.parseInt(m.group(1));
        } catch (NumberFormatException e) {
            module = Integer.MAX_VALUE;
        }
        if (module >= sectors) {
            throw new RawFormatException(file + ": module " + m.group(1) + " is outside 0-" + (sectors - 1));
        }
        return module;
    }

    /** Reads and checks every header once, then lays the frames out in slots. */
    private static final class Indexer {
        private final List<Path> files;
        private final SectorLayout layout;
        private final int requestedFramesPerPosition;
        private final FileChannel[] channels;
        private final long[] firstBlockOfFile;
        private long[] keys = new long[1024];
        private int[] positions = new int[1024];
        private int blocks;
        private BlockHeader first;
        private Path firstFile;

        Indexer(List<Path> files, SectorLayout layout, int framesPerPosition, FileChannel[] channels) {
            this.files = List.copyOf(files);
            this.layout = layout;
            this.requestedFramesPerPosition = framesPerPosition;
            this.channels = channels;
            this.firstBlockOfFile = new long[files.size()];
        }

        RawScan build() throws IOException {
            boolean[] moduleSeen = new boolean[layout.sectors()];
            ByteBuffer header = ByteBuffer.allocateDirect(BlockHeader.BYTES).order(ByteOrder.LITTLE_ENDIAN);
            for (int f = 0; f < files.size(); f++) {
                Path file = files.get(f);
                int module = moduleOf(file, layout.sectors());
                moduleSeen[module] = true;
                channels[f] = FileChannel.open(file, StandardOpenOption.READ);
                firstBlockOfFile[f] = blocks;
                long size = channels[f].size();
                long whole = size / layout.blockBytes() * layout.blockBytes();
                if (whole != size) {
                    throw RawFormatException.at(file, whole, "file size " + size + " is not a whole number of "
                            + layout.blockBytes() + "-byte blocks: the last block is truncated");
                }
                for (long offset = 0; offset < size; offset += layout.blockBytes()) {
                    header.clear();
                    while (header.hasRemaining()) {
                        if (channels[f].read(header, offset + header.position()) < 0) {
                            throw RawFormatException.at(file, offset, "file ended inside a block header");
                        }
                    }
                    add(file, offset, module, BlockHeader.read(header.flip()));
                }
            }
            for (int m = 0; m < moduleSeen.length; m++) {
                if (!moduleSeen[m]) {
                    throw new RawFormatException("no raw file for module " + m + " among the " + files.size()
                            + " files given (every module 0-" + (layout.sectors() - 1) + " needs at least one)");
                }
            }
            if (blocks == 0) {
                throw new RawFormatException("the raw files hold no blocks");
            }
            return layOut();
        }

        private void add(Path file, long offset, int module, BlockHeader h) throws RawFormatException {
            if (first == null) {
                first = h;
                firstFile = file;
                if (h.scanWidth() == 0 || h.scanHeight() == 0) {
                    throw RawFormatException.at(file, offset, "scan size " + h.scanWidth() + "x" + h.scanHeight()
                            + " is empty");
                }
            }
            if (h.scanNumber() != first.scanNumber()) {
                throw RawFormatException.at(file, offset, "scan number " + h.scanNumber() + " disagrees with "
                        + first.scanNumber() + " in " + firstFile);
            }
            String outside = h.checkWithin(first.scanWidth(), first.scanHeight());
            if (outside != null) {
                throw RawFormatException.at(file, offset, outside + " (from " + firstFile + ")");
            }
            if (blocks > BLOCK_ID_MASK) {
                throw RawFormatException.at(file, offset, "more than " + BLOCK_ID_MASK + " blocks in one scan");
            }
            if (blocks == keys.length) {
                keys = Arrays.copyOf(keys, blocks * 2);
                positions = Arrays.copyOf(positions, blocks * 2);
            }
            keys[blocks] = h.frameNumber() << (BLOCK_ID_BITS + 2) | (long) module << BLOCK_ID_BITS | blocks;
            positions[blocks] = h.position();
            blocks++;
        }

        private RawScan layOut() throws RawFormatException {
            long[] sorted = Arrays.copyOf(keys, blocks);
            Arrays.parallelSort(sorted);
            int positionCount = first.scanWidth() * first.scanHeight();
            int sectors = layout.sectors();
            // Pass 1: frames per position, checking duplicates and sector agreement.
            int[] framesAt = new int[positionCount];
            forEachFrame(sorted, (start, end) -> framesAt[positions[blockId(sorted[start])]]++);
            int most = Arrays.stream(framesAt).max().orElse(0);
            int perPosition = requestedFramesPerPosition > 0 ? requestedFramesPerPosition : most;
            if (most > perPosition) {
                int p = indexOf(framesAt, most);
                throw new RawFormatException("position " + p + " (x " + p % first.scanWidth() + ", y "
                        + p / first.scanWidth() + ") has " + most + " frames but " + perPosition
                        + " frames per position were expected");
            }
            // Pass 2: fill the slots, frames of one position by ascending frame number (the sort order).
            long[] slotFrame = new long[positionCount * perPosition];
            Arrays.fill(slotFrame, -1);
            int[] slotBlock = new int[slotFrame.length * sectors];
            Arrays.fill(slotBlock, -1);
            int[] filled = new int[positionCount];
            forEachFrame(sorted, (start, end) -> {
                int position = positions[blockId(sorted[start])];
                int slot = position * perPosition + filled[position]++;
                slotFrame[slot] = sorted[start] >>> (BLOCK_ID_BITS + 2);
                for (int i = start; i < end; i++) {
                    slotBlock[slot * sectors + sectorOf(sorted[i])] = blockId(sorted[i]);
                }
            });
            return new RawScan(layout, files, channels, firstBlockOfFile, first.scanNumber(), first.scanWidth(),
                    first.scanHeight(), perPosition, slotFrame, slotBlock);
        }

        private interface FrameRange {
            void accept(int start, int end);
        }

        /** Calls back once per frame number with the range of its blocks, after checking them. */
        private void forEachFrame(long[] sorted, FrameRange action) throws RawFormatException {
            int start = 0;
            while (start < sorted.length) {
                long frame = sorted[start] >>> (BLOCK_ID_BITS + 2);
                int end = start + 1;
                while (end < sorted.length && sorted[end] >>> (BLOCK_ID_BITS + 2) == frame) {
                    if (sectorOf(sorted[end]) == sectorOf(sorted[end - 1])) {
                        throw duplicate(frame, blockId(sorted[end - 1]), blockId(sorted[end]));
                    }
                    if (positions[blockId(sorted[end])] != positions[blockId(sorted[start])]) {
                        throw disagreement(frame, blockId(sorted[start]), blockId(sorted[end]));
                    }
                    end++;
                }
                action.accept(start, end);
                start = end;
            }
        }

        private RawFormatException duplicate(long frame, int earlier, int later) {
            return RawFormatException.at(fileOfBlock(later), offsetOf(later), "duplicate block: frame " + frame
                    + " of this module also stands in " + fileOfBlock(earlier) + " at byte " + offsetOf(earlier));
        }

        private RawFormatException disagreement(long frame, int one, int other) {
            return RawFormatException.at(fileOfBlock(other), offsetOf(other), "frame " + frame + " is at position "
                    + positions[other] + " here but at position " + positions[one] + " in " + fileOfBlock(one)
                    + " at byte " + offsetOf(one));
        }

        private Path fileOfBlock(int block) {
            int f = files.size() - 1;
            while (firstBlockOfFile[f] > block) {
                f--;
            }
            return files.get(f);
        }

        private long offsetOf(int block) {
            int f = files.indexOf(fileOfBlock(block));
            return (block - firstBlockOfFile[f]) * layout.blockBytes();
        }

        private static int blockId(long key) {
            return (int) (key & BLOCK_ID_MASK);
        }

        private static int sectorOf(long key) {
            return (int) (key >>> BLOCK_ID_BITS) & 3;
        }

        private static int indexOf(int[] values, int value) {
            for (int i = 0; i < values.length; i++) {
                if (values[i] == value) {
                    return i;
                }
            }
            return -1;
        }
    }
}
