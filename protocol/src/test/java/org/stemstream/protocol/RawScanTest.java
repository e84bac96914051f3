package org.stemstream.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The raw-file reader on small hand-made scans: layout, missing sectors, and every kind of bad input. */
class RawScanTest {
    @TempDir
    Path dir;

    /** A block whose pixels all hold one value, so that where a sector lands can be seen. */
    private static byte[] block(long scan, long frame, int w, int h, int x, int y, int fill) {
        ByteBuffer b = ByteBuffer.allocate(FrameGeometry.BLOCK_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        new BlockHeader(scan, frame, w, h, x, y).write(b);
        while (b.hasRemaining()) {
            b.putShort((short) fill);
        }
        return b.array();
    }

    private Path file(String name, byte[]... blocks) throws IOException {
        Path f = dir.resolve(name);
        try (var out = Files.newOutputStream(f)) {
            for (byte[] b : blocks) {
                out.write(b);
            }
        }
        return f;
    }

    /** A 2 x 1 scan, one frame per position, all four modules; module m's pixels hold 100 + m. */
    private List<Path> twoByOne() throws IOException {
        List<Path> files = new ArrayList<>();
        for (int m = 0; m < 4; m++) {
            files.add(file("data_scan0000000007_module" + m + "_000.data",
                    block(7, 11, 2, 1, 1, 0, 100 + m), block(7, 10, 2, 1, 0, 0, 100 + m)));
        }
        return files;
    }

    @Test
    void framesLandInPositionOrderWithSectorsInTheirRows() throws IOException {
        try (RawScan scan = RawScan.open(twoByOne())) {
            assertEquals(7, scan.scanNumber());
            assertEquals(2, scan.frameSlots());
            assertEquals(10, scan.frameNumber(0));
            assertEquals(11, scan.frameNumber(1));
            ByteBuffer frame = ByteBuffer.allocateDirect(FrameGeometry.FRAME_BYTES).order(ByteOrder.LITTLE_ENDIAN);
            scan.readFrame(0, frame);
            for (int s = 0; s < 4; s++) {
                int firstPixelOfSector = s * 144 * 576;
                assertEquals(100 + s, frame.getShort(firstPixelOfSector * 2));
                assertEquals(100 + s, frame.getShort((firstPixelOfSector + 144 * 576 - 1) * 2));
            }
        }
    }

    @Test
    void version4SectorsAreVerticalStrips() throws IOException {
        try (RawScan scan = RawScan.open(twoByOne(), SectorLayout.VERTICAL_STRIPS, 0)) {
            ByteBuffer frame = ByteBuffer.allocate(FrameGeometry.FRAME_BYTES).order(ByteOrder.LITTLE_ENDIAN);
            scan.readFrame(1, frame);
            for (int row : new int[] {0, 300, 575}) {
                for (int s = 0; s < 4; s++) {
                    assertEquals(100 + s, frame.getShort((row * 576 + s * 144) * 2));
                    assertEquals(100 + s, frame.getShort((row * 576 + s * 144 + 143) * 2));
                }
            }
        }
    }

    @Test
    void aMissingSectorIsZeroFilledAndTheFrameMarkedIncomplete() throws IOException {
        List<Path> files = twoByOne();
        files.set(2, file("data_scan0000000007_module2_000.data", block(7, 11, 2, 1, 1, 0, 102)));
        try (RawScan scan = RawScan.open(files)) {
            assertFalse(scan.isComplete(0));
            assertEquals(0b1011, scan.sectorMask(0));
            assertTrue(scan.isComplete(1));
            ByteBuffer frame = ByteBuffer.allocate(FrameGeometry.FRAME_BYTES).order(ByteOrder.LITTLE_ENDIAN);
            frame.putShort(2 * 144 * 576 * 2, (short) 999);
            scan.readFrame(0, frame);
            assertEquals(0, frame.getShort(2 * 144 * 576 * 2));
            assertEquals(103, frame.getShort(3 * 144 * 576 * 2));
        }
    }

    @Test
    void aPositionWithFewerFramesThanExpectedHasAMissingSlot() throws IOException {
        List<Path> files = new ArrayList<>();
        for (int m = 0; m < 4; m++) {
            files.add(file("data_scan0000000007_module" + m + "_000.data", block(7, 1, 2, 1, 0, 0, 1),
                    block(7, 2, 2, 1, 0, 0, 1), block(7, 3, 2, 1, 1, 0, 1)));
        }
        try (RawScan scan = RawScan.open(files)) {
            assertEquals(2, scan.framesPerPosition());
            assertEquals(4, scan.frameSlots());
            assertArrayEquals(new long[] {1, 2, 3, -1},
                    new long[] {scan.frameNumber(0), scan.frameNumber(1), scan.frameNumber(2), scan.frameNumber(3)});
            assertTrue(scan.isMissing(3));
        }
    }

    private String failure(List<Path> files) {
        return assertThrows(RawFormatException.class, () -> RawScan.open(files).close()).getMessage();
    }

    @Test
    void aTruncatedBlockNamesTheFileAndOffset() throws IOException {
        List<Path> files = twoByOne();
        byte[] whole = Files.readAllBytes(files.get(1));
        Files.write(files.get(1), java.util.Arrays.copyOf(whole, whole.length - 10));
        String message = failure(files);
        assertTrue(message.contains("module1_000.data at byte " + FrameGeometry.BLOCK_BYTES), message);
        assertTrue(message.contains("truncated"), message);
    }

    @Test
    void aScanNumberThatDisagreesIsRejectedWhereItStands() throws IOException {
        List<Path> files = twoByOne();
        files.set(3, file("data_scan0000000007_module3_000.data", block(7, 10, 2, 1, 0, 0, 1),
                block(8, 11, 2, 1, 1, 0, 1)));
        String message = failure(files);
        assertTrue(message.contains("module3_000.data at byte " + FrameGeometry.BLOCK_BYTES), message);
        assertTrue(message.contains("scan number 8 disagrees with 7"), message);
    }

    @Test
    void aScanSizeThatDisagreesIsRejected() throws IOException {
        List<Path> files = twoByOne();
        files.set(2, file("data_scan0000000007_module2_000.data", block(7, 10, 2, 1, 0, 0, 1),
                block(7, 11, 3, 1, 1, 0, 1)));
        String message = failure(files);
        assertTrue(message.contains("module2_000.data at byte " + FrameGeometry.BLOCK_BYTES), message);
        assertTrue(message.contains("scan size 3x1 disagrees with 2x1"), message);
    }

    @Test
    void aPositionOutsideTheScanIsRejected() throws IOException {
        List<Path> files = twoByOne();
        files.set(0, file("data_scan0000000007_module0_000.data", block(7, 10, 2, 1, 0, 0, 1),
                block(7, 11, 2, 1, 0, 1, 1)));
        String message = failure(files);
        assertTrue(message.contains("module0_000.data at byte " + FrameGeometry.BLOCK_BYTES), message);
        assertTrue(message.contains("probe position (0, 1) is outside the 2x1 scan"), message);
    }

    @Test
    void aDuplicateBlockNamesBothPlaces() throws IOException {
        List<Path> files = twoByOne();
        files.add(file("data_scan0000000007_module1_001.data", block(7, 11, 2, 1, 1, 0, 101)));
        String message = failure(files);
        assertTrue(message.contains("duplicate block: frame 11"), message);
        assertTrue(message.contains("module1_001.data") && message.contains("module1_000.data"), message);
    }

    @Test
    void sectorsOfOneFrameMustAgreeOnItsPosition() throws IOException {
        List<Path> files = twoByOne();
        files.set(1, file("data_scan0000000007_module1_000.data", block(7, 11, 2, 1, 0, 0, 1),
                block(7, 10, 2, 1, 0, 0, 1)));
        String message = failure(files);
        assertTrue(message.contains("frame 11 is at position"), message);
    }

    @Test
    void aModuleOutsideZeroToThreeIsRejected() throws IOException {
        List<Path> files = twoByOne();
        files.add(file("data_scan0000000007_module4_000.data", block(7, 10, 2, 1, 0, 0, 1)));
        assertTrue(failure(files).contains("module 4 is outside 0-3"));
    }

    @Test
    void aFileNameWithoutModuleIsRejected() throws IOException {
        List<Path> files = twoByOne();
        files.add(file("scan7.data", block(7, 10, 2, 1, 0, 0, 1)));
        assertTrue(failure(files).contains("scan7.data: the file name has no module number"));
    }

    @Test
    void aMissingModuleIsRejected() throws IOException {
        List<Path> files = twoByOne();
        files.remove(3);
        assertTrue(failure(files).contains("no raw file for module 3"));
    }

    @Test
    void moreFramesAtAPositionThanExpectedIsRejected() throws IOException {
        List<Path> files = twoByOne();
        for (int m = 0; m < 4; m++) {
            files.add(file("data_scan0000000007_module" + m + "_001.data", block(7, 12, 2, 1, 0, 0, 1)));
        }
        RawScan.open(twoByOne(), SectorLayout.HORIZONTAL_STRIPS, 1).close();
        String message = assertThrows(RawFormatException.class,
                () -> RawScan.open(files, SectorLayout.HORIZONTAL_STRIPS, 1).close()).getMessage();
        assertTrue(message.contains("position 0 (x 0, y 0) has 2 frames but 1 frames per position"), message);
    }
}
