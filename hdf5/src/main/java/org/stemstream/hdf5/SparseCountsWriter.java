package org.stemstream.hdf5;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes counted electron events in stempy's sparse HDF5 layout (version 3), in pure Java.
 *
 * <p>Frames may be added in any order as they are counted; their events go straight to disk in global heap
 * collections, so memory holds only about 20 bytes of index per frame. {@link #commit} writes the datasets, groups
 * and attributes, then links the temporary file to its final name: a reader never sees a half-written file, an
 * existing file is never replaced, and {@link #close} without a commit deletes it.
 *
 * <pre>
 * /                                version = 3
 * /electron_events/frames          vlen uint32, one element per frame (position-major); Nx, Ny = frame shape
 * /electron_events/scan_positions  int64 0..positions-1; Nx, Ny = scan shape
 * /metadata/{group}                attributes given with {@link #metadata}
 * </pre>
 *
 * Not thread-safe: callers serialise {@link #writeFrame}.
 */
public final class SparseCountsWriter implements AutoCloseable {
    private static final byte[] SIGNATURE = {(byte) 0x89, 'H', 'D', 'F', '\r', '\n', 0x1A, '\n'};
    private static final int SUPERBLOCK_BYTES = 48;
    private static final int COLLECTION_MIN = 4096;
    private static final int COLLECTION_TARGET = 1 << 20;
    private static final int OBJECT_HEADER = 16;
    private static final int MAX_OBJECTS = 0xFFFF;

    private final Path target;
    private final Path temporary;
    private final ScanShape shape;
    private final FileChannel channel;
    private final Map<String, Map<String, Object>> metadata = new LinkedHashMap<>();
    private final Map<String, Map<String, long[]>> extraDatasets = new LinkedHashMap<>();
    /** Per frame: the heap collection's address, the object's index and offset in it, and the event count. */
    private final long[] frameCollection;
    private final int[] frameObject;
    private final int[] frameOffset;
    private final int[] frameLength;
    private final boolean[] written;
    private final ByteBuffer collection = ByteBuffer.allocate(COLLECTION_TARGET + 64).order(ByteOrder.LITTLE_ENDIAN);
    private int collectionObjects;
    private long end = SUPERBLOCK_BYTES;
    private boolean committed;
    private Path committedTo;

    private SparseCountsWriter(Path target, ScanShape shape) throws IOException {
        this.target = target.toAbsolutePath().normalize();
        this.shape = shape;
        if (Files.exists(this.target)) {
            throw new FileAlreadyExistsException(this.target.toString(), null,
                    "it already exists; counted data is never overwritten");
        }
        Path dir = this.target.getParent();
        Files.createDirectories(dir);
        this.temporary = Files.createTempFile(dir, "." + this.target.getFileName(), ".partial");
        try {
            readableByAll(temporary);
            this.channel = FileChannel.open(temporary, StandardOpenOption.READ, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(temporary);
            throw e;
        }
        this.frameCollection = new long[shape.frames()];
        this.frameObject = new int[shape.frames()];
        this.frameOffset = new int[shape.frames()];
        this.frameLength = new int[shape.frames()];
        this.written = new boolean[shape.frames()];
        startCollection();
    }

    /**
     * Starts a new file; nothing appears at {@code target} until {@link #commit}.
     *
     * @throws FileAlreadyExistsException when {@code target} exists
     */
    public static SparseCountsWriter create(Path target, ScanShape shape) throws IOException {
        return new SparseCountsWriter(target, shape);
    }

    public ScanShape shape() {
        return shape;
    }

    /**
     * Stores the events of one frame (flat pixel indices, ascending). A frame never written is stored with no events.
     *
     * @param slot position * framesPerPosition + frame in position
     */
    public void writeFrame(int slot, int[] events, int count) throws IOException {
        if (slot < 0 || slot >= written.length) {
            throw new IllegalArgumentException("frame slot " + slot + " is outside 0.." + (written.length - 1));
        }
        if (written[slot]) {
            throw new IllegalStateException("frame slot " + slot + " was already written");
        }
        store(slot, events, count);
    }

    /**
     * Stores other events for a frame already written (the earlier ones stay in the file, unreferenced): the reader
     * sees only these.
     */
    public void replaceFrame(int slot, int[] events, int count) throws IOException {
        if (slot < 0 || slot >= written.length || !written[slot]) {
            throw new IllegalArgumentException("frame slot " + slot + " was never written");
        }
        store(slot, events, count);
    }

    /** The events stored for a written frame. */
    public int[] events(int slot) throws IOException {
        int count = frameLength[slot];
        int[] events = new int[count];
        if (count == 0) {
            return events;
        }
        int at = frameOffset[slot] + OBJECT_HEADER;
        if (frameCollection[slot] == end) { // in the collection being filled, not yet in the file
            for (int i = 0; i < count; i++) {
                events[i] = collection.getInt(at + i * Integer.BYTES);
            }
            return events;
        }
        ByteBuffer data = ByteBuffer.allocate(count * Integer.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        while (data.hasRemaining()) {
            if (channel.read(data, frameCollection[slot] + at + data.position()) < 0) {
                throw new IOException("frame slot " + slot + " lies beyond the end of " + temporary);
            }
        }
        data.flip().asIntBuffer().get(events);
        return events;
    }

    private void store(int slot, int[] events, int count) throws IOException {
        written[slot] = true;
        frameLength[slot] = count;
        if (count == 0) {
            return; // an empty sequence needs no heap object
        }
        int need = OBJECT_HEADER + align8(count * Integer.BYTES);
        if (collectionObjects == MAX_OBJECTS || collection.position() + need > COLLECTION_TARGET
                && collectionObjects > 0) {
            flushCollection();
        }
        if (collection.capacity() - collection.position() < need) {
            flushCollection(); // an object larger than a collection: write it in one of its own
            writeLargeObject(slot, events, count);
            return;
        }
        int index = ++collectionObjects;
        frameOffset[slot] = collection.position();
        collection.putShort((short) index).putShort((short) 1).putInt(0).putLong((long) count * Integer.BYTES);
        for (int i = 0; i < count; i++) {
            collection.putInt(events[i]);
        }
        pad(collection);
        frameCollection[slot] = end;
        frameObject[slot] = index;
    }

    /**
     * Attributes of {@code /metadata/<group>}: Integer/Long (int64), Double/Float (float64), Boolean (numpy's bool) or
     * String (variable-length UTF-8) values.
     */
    public void metadata(String group, Map<String, ?> attributes) {
        metadata.computeIfAbsent(group, g -> new LinkedHashMap<>()).putAll(attributes);
    }

    /**
     * A 1-D int64 dataset {@code /<group>/<name>} beside stempy's layout, for lists too long for an attribute
     * (stempy's loader reads only its own paths, so extra groups leave it unaffected).
     */
    public void dataset(String group, String name, long[] values) {
        if (group.equals("electron_events") || group.equals("metadata")) {
            throw new IllegalArgumentException("/" + group + " belongs to stempy's layout");
        }
        extraDatasets.computeIfAbsent(group, g -> new LinkedHashMap<>()).put(name, values.clone());
    }

    /**
     * Writes the index and metadata, and gives the file its final name, never replacing a file: when the target
     * appeared since {@link #create}, the file goes to the first free {@code <name>.<n>.h5} beside it.
     *
     * @return where the file is
     */
    public Path commit() throws IOException {
        if (committed) {
            return committedTo;
        }
        flushCollection();
        long framesAddress = end;
        ByteBuffer descriptors = ByteBuffer.allocate(16 * shape.frames()).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < shape.frames(); i++) {
            boolean stored = frameLength[i] > 0;
            descriptors.putInt(frameLength[i]).putLong(stored ? frameCollection[i] : 0).putInt(stored ? frameObject[i] : 0);
        }
        append(descriptors.flip());
        long positionsAddress = end;
        ByteBuffer positions = ByteBuffer.allocate(8 * shape.positions()).order(ByteOrder.LITTLE_ENDIAN);
        for (long p = 0; p < shape.positions(); p++) {
            positions.putLong(p);
        }
        append(positions.flip());

        long frames = append(ObjectHeader.dataset(Encoder.sequenceOf(Encoder.unsignedInt32()),
                        Encoder.simpleSpace(shape.frames()), framesAddress, 16L * shape.frames())
                .attribute("Nx", Encoder.signedInt64(), Encoder.scalarSpace(), int64(shape.frameWidth()))
                .attribute("Ny", Encoder.signedInt64(), Encoder.scalarSpace(), int64(shape.frameHeight())));
        long scanPositions = append(ObjectHeader.dataset(Encoder.signedInt64(),
                        Encoder.simpleSpace(shape.positions()), positionsAddress, 8L * shape.positions())
                .attribute("Nx", Encoder.signedInt64(), Encoder.scalarSpace(), int64(shape.scanWidth()))
                .attribute("Ny", Encoder.signedInt64(), Encoder.scalarSpace(), int64(shape.scanHeight())));
        long events = append(ObjectHeader.group().link("frames", frames).link("scan_positions", scanPositions));
        Map<String, byte[]> strings = storeStrings();
        ObjectHeader metadataGroup = ObjectHeader.group();
        for (Map.Entry<String, Map<String, Object>> group : metadata.entrySet()) {
            ObjectHeader header = ObjectHeader.group();
            group.getValue().forEach((name, value) -> addAttribute(header, name, value, strings));
            metadataGroup.link(group.getKey(), append(header));
        }
        long meta = append(metadataGroup);
        ObjectHeader root = ObjectHeader.group().link("electron_events", events).link("metadata", meta)
                .attribute("version", Encoder.signedInt64(), Encoder.scalarSpace(), int64(3));
        for (Map.Entry<String, Map<String, long[]>> group : extraDatasets.entrySet()) {
            ObjectHeader header = ObjectHeader.group();
            for (Map.Entry<String, long[]> dataset : group.getValue().entrySet()) {
                long[] values = dataset.getValue();
                ByteBuffer data = ByteBuffer.allocate(8 * values.length).order(ByteOrder.LITTLE_ENDIAN);
                data.asLongBuffer().put(values);
                long address = append(data);
                header.link(dataset.getKey(), append(ObjectHeader.dataset(Encoder.signedInt64(),
                        Encoder.simpleSpace(values.length), address, 8L * values.length)));
            }
            root.link(group.getKey(), append(header));
        }
        long rootAddress = append(root);

        byte[] superblock = new Encoder().bytes(SIGNATURE).u8(2).u8(8).u8(8).u8(0)
                .u64(0).u64(Encoder.UNDEFINED_ADDRESS).u64(end).u64(rootAddress).checksum().toArray();
        channel.write(ByteBuffer.wrap(superblock), 0);
        channel.force(true);
        channel.close();
        committedTo = publish();
        committed = true;
        return committedTo;
    }

    private Path publish() throws IOException {
        String stem = target.getFileName().toString().replaceFirst("\\.h5$", "");
        for (int n = 0; n < 1000; n++) {
            Path to = n == 0 ? target : target.resolveSibling(stem + "." + n + ".h5");
            try {
                Files.createLink(to, temporary); // fails when the name exists: a rename would replace it
                Files.delete(temporary);
                return to;
            } catch (FileAlreadyExistsException taken) {
                // the next name
            } catch (UnsupportedOperationException | FileSystemException noHardLinks) {
                // a file system without hard links: a name that appears between this check and the move is replaced
                if (!Files.exists(to)) {
                    Files.move(temporary, to, StandardCopyOption.ATOMIC_MOVE);
                    return to;
                }
            }
        }
        throw new FileAlreadyExistsException(target.toString(), null, "it and 999 numbered names beside it exist");
    }

    /** Without a commit, removes the temporary file. */
    @Override
    public void close() throws IOException {
        if (!committed) {
            channel.close();
            Files.deleteIfExists(temporary);
        }
    }

    private static void addAttribute(ObjectHeader header, String name, Object value, Map<String, byte[]> strings) {
        if (value instanceof Integer || value instanceof Long) {
            header.attribute(name, Encoder.signedInt64(), Encoder.scalarSpace(), int64(((Number) value).longValue()));
        } else if (value instanceof Double || value instanceof Float) {
            byte[] v = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN)
                    .putDouble(((Number) value).doubleValue()).array();
            header.attribute(name, Encoder.float64(), Encoder.scalarSpace(), v);
        } else if (value instanceof Boolean b) {
            header.attribute(name, Encoder.bool(), Encoder.scalarSpace(), new byte[] {(byte) (b ? 1 : 0)});
        } else if (value instanceof String s) {
            header.attribute(name, Encoder.utf8String(), Encoder.scalarSpace(), strings.get(s));
        } else {
            throw new IllegalArgumentException("attribute " + name + ": unsupported value type "
                    + (value == null ? "null" : value.getClass().getSimpleName()));
        }
    }

    /**
     * Writes each distinct string attribute value as an object of a global heap collection (an empty string as an
     * object of no bytes, as HDF5's library does); returns each value's variable-length descriptor: its byte length,
     * the collection's address and the object's index.
     */
    private Map<String, byte[]> storeStrings() throws IOException {
        Map<String, byte[]> descriptors = new LinkedHashMap<>();
        for (Map<String, Object> group : metadata.values()) {
            for (Object value : group.values()) {
                if (value instanceof String s) {
                    descriptors.putIfAbsent(s, null);
                }
            }
        }
        List<String> values = new ArrayList<>(descriptors.keySet());
        for (int first = 0; first < values.size(); first += MAX_OBJECTS) {
            List<String> part = values.subList(first, Math.min(values.size(), first + MAX_OBJECTS));
            List<byte[]> bytes = part.stream().map(v -> v.getBytes(StandardCharsets.UTF_8)).toList();
            long used = 16 + bytes.stream().mapToLong(b -> OBJECT_HEADER + align8(b.length)).sum();
            if (used > Integer.MAX_VALUE - 8) {
                throw new IllegalArgumentException("string attributes of " + used + " bytes: too large");
            }
            int size = (int) Math.max(used, COLLECTION_MIN);
            ByteBuffer heap = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
            heap.put(new byte[] {'G', 'C', 'O', 'L', 1, 0, 0, 0}).putLong(size);
            long address = end;
            for (int i = 0; i < bytes.size(); i++) {
                byte[] b = bytes.get(i);
                heap.putShort((short) (i + 1)).putShort((short) 1).putInt(0).putLong(b.length).put(b);
                pad(heap);
                descriptors.put(part.get(i), ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN)
                        .putInt(b.length).putLong(address).putInt(i + 1).array());
            }
            putFreeSpace(heap, size);
            append(heap.flip());
        }
        return descriptors;
    }

    private void startCollection() {
        collection.clear();
        collection.put(new byte[] {'G', 'C', 'O', 'L', 1, 0, 0, 0}).putLong(0); // size patched on flush
        collectionObjects = 0;
    }

    private void flushCollection() throws IOException {
        if (collectionObjects == 0) {
            return;
        }
        int used = collection.position();
        int size = Math.max(used, COLLECTION_MIN);
        putFreeSpace(collection, size);
        collection.putLong(8, size);
        append(collection.flip());
        startCollection();
    }

    private void writeLargeObject(int slot, int[] events, int count) throws IOException {
        int data = align8(count * Integer.BYTES);
        int size = Math.max(16 + OBJECT_HEADER + data, COLLECTION_MIN);
        ByteBuffer big = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
        big.put(new byte[] {'G', 'C', 'O', 'L', 1, 0, 0, 0}).putLong(size);
        big.putShort((short) 1).putShort((short) 1).putInt(0).putLong((long) count * Integer.BYTES);
        for (int i = 0; i < count; i++) {
            big.putInt(events[i]);
        }
        pad(big);
        putFreeSpace(big, size);
        frameCollection[slot] = end;
        frameObject[slot] = 1;
        frameOffset[slot] = 16;
        append(big.position(0).limit(size));
    }

    private long append(ObjectHeader header) {
        try {
            return append(ByteBuffer.wrap(header.encode()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Writes at the end of the file, 8-byte aligned; returns the address written at. */
    private long append(ByteBuffer bytes) throws IOException {
        long at = end;
        while (bytes.hasRemaining()) {
            end += channel.write(bytes, end);
        }
        ByteBuffer padding = ByteBuffer.allocate((int) (-end & 7));
        while (padding.hasRemaining()) {
            end += channel.write(padding, end);
        }
        return at;
    }

    /**
     * Fills a collection up to {@code size} with the free space object (index 0, its size counting its own header);
     * a remainder too small for a header is free space by itself.
     */
    private static void putFreeSpace(ByteBuffer collection, int size) {
        int free = size - collection.position();
        if (free >= OBJECT_HEADER) {
            collection.putShort((short) 0).putShort((short) 0).putInt(0).putLong(free);
        }
        collection.position(size);
    }

    /** A counted file is data to share: rw-r--r-- (a temporary file starts private). */
    private static void readableByAll(Path file) throws IOException {
        try {
            Files.setPosixFilePermissions(file, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
        } catch (UnsupportedOperationException notPosix) {
            // the file system's default permissions apply
        }
    }

    private static void pad(ByteBuffer b) {
        while ((b.position() & 7) != 0) {
            b.put((byte) 0);
        }
    }

    private static int align8(int n) {
        return (n + 7) & ~7;
    }

    private static byte[] int64(long v) {
        return ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(v).array();
    }
}
