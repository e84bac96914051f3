package org.stemstream.hdf5;

/** The shape of a counted scan: probe positions (width x height), frames per position, and the frame size. */
public record ScanShape(int scanWidth, int scanHeight, int framesPerPosition, int frameWidth, int frameHeight) {
    public ScanShape {
        if (scanWidth < 1 || scanHeight < 1 || framesPerPosition < 1 || frameWidth < 1 || frameHeight < 1) {
            throw new IllegalArgumentException("every dimension of a scan must be at least 1: " + scanWidth + "x"
                    + scanHeight + " positions, " + framesPerPosition + " frames each, frames " + frameWidth + "x"
                    + frameHeight);
        }
        if ((long) scanWidth * scanHeight * framesPerPosition > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("a scan of more than " + Integer.MAX_VALUE + " frames");
        }
    }

    public int positions() {
        return scanWidth * scanHeight;
    }

    /** Frames of the whole scan, position-major: frame slot = position * framesPerPosition + frame in position. */
    public int frames() {
        return positions() * framesPerPosition;
    }
}
