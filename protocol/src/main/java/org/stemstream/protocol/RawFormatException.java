package org.stemstream.protocol;

import java.io.IOException;
import java.nio.file.Path;

/** Raw detector data that breaks the format; the message names the file and the byte offset where it is wrong. */
public class RawFormatException extends IOException {
    private static final long serialVersionUID = 1L;

    public RawFormatException(String message) {
        super(message);
    }

    public static RawFormatException at(Path file, long offset, String problem) {
        return new RawFormatException(file + " at byte " + offset + ": " + problem);
    }
}
