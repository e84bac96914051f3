package org.stemstream.node.cli;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;

/** Finds four consecutive free ports on loopback, for a node that runs on its own (the demo). */
final class FreePorts {
    private FreePorts() {
    }

    static int sectorBase() throws IOException {
        for (int attempt = 0; attempt < 50; attempt++) {
            int base;
            try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                base = probe.getLocalPort();
            }
            if (base + 3 < 65535 && free(base + 1) && free(base + 2) && free(base + 3)) {
                return base;
            }
        }
        throw new IOException("no four consecutive free ports on loopback");
    }

    private static boolean free(int port) {
        try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
