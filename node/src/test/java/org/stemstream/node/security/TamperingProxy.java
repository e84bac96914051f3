package org.stemstream.node.security;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;

/**
 * A man in the middle for tests: forwards TCP from its five ports (a node's four sector ports and its routing port)
 * to the node's, and on the way flips one bit of one sector's stream, and records another sector's stream, whose
 * messages someone who captured the traffic could send again.
 */
final class TamperingProxy implements AutoCloseable {
    private final int port;
    private final int nodePort;
    private final List<ServerSocket> listeners = new ArrayList<>();
    private final List<Socket> sockets = new ArrayList<>();
    private final int flipSector;
    private final long flipOffset;
    private final int recordSector;
    private final ByteArrayOutputStream recorded = new ByteArrayOutputStream();

    /**
     * @param flipSector   the sector whose first connection gets bit 4 of byte {@code flipOffset} flipped
     * @param recordSector the sector whose first connection's bytes to the node are recorded
     */
    TamperingProxy(int port, int nodePort, int flipSector, long flipOffset, int recordSector) throws IOException {
        this.port = port;
        this.nodePort = nodePort;
        this.flipSector = flipSector;
        this.flipOffset = flipOffset;
        this.recordSector = recordSector;
        for (int i = 0; i < 5; i++) {
            ServerSocket listener = new ServerSocket(port + i, 16, InetAddress.getLoopbackAddress());
            listeners.add(listener);
            int link = i;
            daemon(() -> accept(listener, link));
        }
    }

    /**
     * The messages recorded, read back out of the ZeroMQ (ZMTP 3) stream: after the 64-byte greeting, each frame is a
     * flags byte (bit 0: more parts follow, bit 1: an 8-byte size, bit 2: a command), its size, and its bytes.
     */
    List<List<byte[]>> recordedMessages() {
        java.nio.ByteBuffer stream;
        synchronized (recorded) {
            stream = java.nio.ByteBuffer.wrap(recorded.toByteArray());
        }
        List<List<byte[]>> messages = new ArrayList<>();
        List<byte[]> parts = new ArrayList<>();
        stream.position(64);
        while (stream.remaining() > 2) {
            int flags = stream.get();
            long size = (flags & 2) != 0 ? stream.getLong() : Byte.toUnsignedInt(stream.get());
            if (size > stream.remaining()) {
                break; // the stream was cut in a frame
            }
            byte[] frame = new byte[(int) size];
            stream.get(frame);
            if ((flags & 4) != 0) {
                continue; // the handshake's commands
            }
            parts.add(frame);
            if ((flags & 1) == 0) {
                messages.add(parts);
                parts = new ArrayList<>();
            }
        }
        return messages;
    }

    /** The first of the proxy's five ports, as a node's. */
    int port() {
        return port;
    }

    private void accept(ServerSocket listener, int link) {
        boolean first = true;
        while (!listener.isClosed()) {
            try {
                Socket producer = listener.accept();
                Socket node = new Socket(InetAddress.getLoopbackAddress(), nodePort + link);
                synchronized (sockets) {
                    sockets.add(producer);
                    sockets.add(node);
                }
                boolean tamper = first && link == flipSector;
                boolean record = first && link == recordSector;
                first = false;
                daemon(() -> pipe(producer, node, tamper, record));
                daemon(() -> pipe(node, producer, false, false));
            } catch (IOException e) {
                return; // closed
            }
        }
    }

    private void pipe(Socket from, Socket to, boolean tamper, boolean record) {
        byte[] buffer = new byte[65536];
        long position = 0;
        try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
            for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
                if (tamper && flipOffset >= position && flipOffset < position + n) {
                    buffer[(int) (flipOffset - position)] ^= 0x10;
                }
                if (record) {
                    synchronized (recorded) {
                        recorded.write(buffer, 0, n);
                    }
                }
                position += n;
                out.write(buffer, 0, n);
            }
        } catch (IOException e) {
            // a side closed: so does the other
        } finally {
            closeQuietly(to);
        }
    }

    private static void daemon(Runnable task) {
        Thread thread = new Thread(task, "tampering-proxy");
        thread.setDaemon(true);
        thread.start();
    }

    private static void closeQuietly(java.io.Closeable c) {
        try {
            c.close();
        } catch (IOException e) {
            // already closed
        }
    }

    @Override
    public void close() {
        listeners.forEach(TamperingProxy::closeQuietly);
        synchronized (sockets) {
            sockets.forEach(TamperingProxy::closeQuietly);
        }
    }
}
