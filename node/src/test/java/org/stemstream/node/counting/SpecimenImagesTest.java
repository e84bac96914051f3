package org.stemstream.node.counting;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.stemstream.kernel.CountingPlan;
import org.stemstream.kernel.ElectronCounter;
import org.stemstream.kernel.PixelCorrection;
import org.stemstream.kernel.Thresholds;
import org.stemstream.node.Correlation;
import org.stemstream.protocol.FrameGeometry;
import org.stemstream.simulator.Specimen;
import org.stemstream.simulator.SyntheticDetector;
import org.stemstream.simulator.SyntheticScan;

/**
 * Counting a scan over the synthetic specimen shows the specimen: the virtual images made from the counted events
 * follow the specimen's truth map. The bar is a Pearson correlation of 0.7 per image (0.81 to 0.94 here, the seed
 * fixed): with ~250 electrons per frame a position's bright-field count has Poisson noise of about 7 % of its value
 * and its centre of mass about 4 px against shifts of up to 20 px, so a faithful image stays well above it, while an
 * image of noise, of the wrong ring or of the wrong axis correlates near 0.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SpecimenImagesTest {
    private static final int W = 40;
    private static final int H = 40;

    @TempDir
    static Path dir;

    private final ScanImages images = new ScanImages(W, H, 1);
    private final double[] scatter = new double[W * H];
    private final double[] shiftRow = new double[W * H];
    private final double[] shiftCol = new double[W * H];

    @BeforeAll
    void countAScanOverTheSpecimen() throws Exception {
        SyntheticScan scan = new SyntheticScan(1, W, H, 1, new SyntheticDetector(11, 250, 0.05))
                .over(Specimen.LATTICE);
        ElectronCounter counter = new ElectronCounter(CountingPlan.of(PixelCorrection.none(), new Thresholds(29, 400)));
        ByteBuffer frame = ByteBuffer.allocate(FrameGeometry.FRAME_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        int[] events = new int[ElectronCounter.MAX_EVENTS];
        for (int f = 1; f <= scan.frames(); f++) {
            scan.frame(f, frame, SyntheticDetector.NO_TRUTH);
            int n = counter.count(frame, events);
            images.counted(f - 1, f, events, n);
        }
        List<String> truth = Files.readAllLines(Specimen.LATTICE.writeTruth(dir, W, H));
        assertEquals(W * H + 1, truth.size());
        for (String line : truth.subList(1, truth.size())) {
            String[] v = line.split(",");
            int p = Integer.parseInt(v[1]) * W + Integer.parseInt(v[0]);
            scatter[p] = Double.parseDouble(v[4]);
            shiftRow[p] = Double.parseDouble(v[5]);
            shiftCol[p] = Double.parseDouble(v[6]);
        }
    }

    @Test
    void theBeamCentreIsFoundWhereTheDiskIs() {
        VirtualImages.Centre centre = images.virtual().centre();
        // the specimen pushes the disk up to 20 px either way; the first frames' mean is near the unpushed centre
        assertEquals(288, centre.row(), 5, "centre row");
        assertEquals(288, centre.col(), 5, "centre column");
        assertEquals(110, centre.diskRadius(), 25, "disk radius");
    }

    @Test
    void brightFieldDimsWhereTheSpecimenScatters() {
        double r = Correlation.pearson(images.virtual().brightField(), scatter);
        assertTrue(r < -0.7, "bright field against the scattered share: r = " + r);
    }

    @Test
    void annularDarkFieldBrightensWhereTheSpecimenScatters() {
        double r = Correlation.pearson(images.virtual().annularDarkField(), scatter);
        assertTrue(r > 0.7, "annular dark field against the scattered share: r = " + r);
    }

    @Test
    void theCentreOfMassFollowsTheDisksShift() {
        double rx = Correlation.pearson(images.virtual().centreOfMassX(), shiftCol);
        double ry = Correlation.pearson(images.virtual().centreOfMassY(), shiftRow);
        double crossed = Correlation.pearson(images.virtual().centreOfMassX(), shiftRow);
        assertTrue(rx > 0.7 && ry > 0.7, "centre of mass against the shift: x r = " + rx + ", y r = " + ry);
        assertTrue(Math.abs(crossed) < 0.3, "x against the row shift: r = " + crossed);
    }

    @Test
    void thePicturesAreWrittenWithTheFourImagesSideBySide() throws Exception {
        Path[] pictures = images.writePngs(dir.resolve("specimen.h5"));
        java.awt.image.BufferedImage scan = javax.imageio.ImageIO.read(pictures[0].toFile());
        int zoom = 256 / W;
        assertEquals(4 * W * zoom + 3 * 4, scan.getWidth());
        assertEquals(H * zoom, scan.getHeight());
        assertEquals(FrameGeometry.FRAME_WIDTH, javax.imageio.ImageIO.read(pictures[1].toFile()).getWidth());
    }
}
