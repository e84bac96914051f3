package org.stemstream.protocol;

import java.nio.charset.StandardCharsets;
import java.util.BitSet;

/**
 * Acknowledgements, as producers ask for them on a node's routing socket: which frames of a window whose counted
 * events the scan's writer has stored, as counted by the workers on that node. A producer frees the blocks it retains
 * for those frames; see docs/wire-protocol.md.
 *
 * <p>Request, one part: {@code stored SCAN FROM TO} (frames FROM inclusive to TO exclusive, at most
 * {@value #MAX_WINDOW} of them). Reply, two parts: {@code stemstream-stored 1 SCAN open|closed FROM}, then a bitmap
 * (bit i, little-endian as {@link BitSet#toByteArray()} writes it, set when frame FROM + i is stored).
 * {@code closed}: the node takes no more frames of the scan (its input there ended, or it never had it).
 *
 * @param open whether the node still takes the scan's frames
 */
public record StoredFrames(long scanNumber, boolean open, long from, BitSet stored) {
    public static final int MAX_WINDOW = 1 << 20;
    private static final String REQUEST = "stored ";
    private static final String REPLY = "stemstream-stored 1 ";

    /** A request for the frames {@code [from, to)} of a scan. */
    public record Request(long scanNumber, long from, long to) {
        public Request {
            if (from < 0 || to < from || to - from > MAX_WINDOW) {
                throw new IllegalArgumentException("a window of frames " + from + " to " + to + " (at most "
                        + MAX_WINDOW + " frames from 0 on)");
            }
        }

        public byte[] encode() {
            return (REQUEST + scanNumber + " " + from + " " + to).getBytes(StandardCharsets.US_ASCII);
        }

        public static boolean isOne(byte[] message) {
            return startsWith(message, REQUEST);
        }

        /** @throws IllegalArgumentException naming what is wrong */
        public static Request decode(byte[] message) {
            String[] words = new String(message, StandardCharsets.US_ASCII).trim().split(" ");
            if (words.length != 4) {
                throw new IllegalArgumentException("a stored-frames request has 4 words, not " + words.length);
            }
            try {
                return new Request(Long.parseLong(words[1]), Long.parseLong(words[2]), Long.parseLong(words[3]));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("a stored-frames request with a word that is no number: "
                        + e.getMessage());
            }
        }
    }

    /** Whether frame {@code frameNumber} is stored (false outside the window). */
    public boolean isStored(long frameNumber) {
        long i = frameNumber - from;
        return i >= 0 && i < Integer.MAX_VALUE && stored.get((int) i);
    }

    public byte[][] encode() {
        byte[] header = (REPLY + scanNumber + " " + (open ? "open" : "closed") + " " + from)
                .getBytes(StandardCharsets.US_ASCII);
        return new byte[][] {header, stored.toByteArray()};
    }

    public static boolean isOne(byte[] header) {
        return startsWith(header, REPLY);
    }

    /** @throws IllegalArgumentException naming what is wrong */
    public static StoredFrames decode(byte[] header, byte[] bitmap) {
        String[] words = new String(header, StandardCharsets.US_ASCII).trim().split(" ");
        if (words.length != 5 || !isOne(header) || !words[3].equals("open") && !words[3].equals("closed")) {
            throw new IllegalArgumentException("not a stored-frames reply: "
                    + new String(header, StandardCharsets.US_ASCII));
        }
        if (bitmap.length > MAX_WINDOW / 8) {
            throw new IllegalArgumentException("a stored-frames bitmap of " + bitmap.length + " bytes");
        }
        return new StoredFrames(Long.parseLong(words[2]), words[3].equals("open"), Long.parseLong(words[4]),
                BitSet.valueOf(bitmap));
    }

    private static boolean startsWith(byte[] message, String prefix) {
        if (message.length < prefix.length()) {
            return false;
        }
        for (int i = 0; i < prefix.length(); i++) {
            if (message[i] != prefix.charAt(i)) {
                return false;
            }
        }
        return true;
    }
}
