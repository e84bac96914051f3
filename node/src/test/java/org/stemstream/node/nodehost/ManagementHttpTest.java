package org.stemstream.node.nodehost;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.stemstream.node.FreePorts;
import org.stemstream.node.StemstreamNode;
import org.stemstream.node.TestNodes;

/** Garbage on a node's HTTP port gets an HTTP error, and the endpoints (Management's and /metrics) go on answering. */
class ManagementHttpTest {
    /** The status code of the answer to {@code request}, sent as raw bytes. */
    private static int status(int port, String request) throws Exception {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            out.write(request.getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            InputStream in = socket.getInputStream();
            StringBuilder line = new StringBuilder();
            for (int c = in.read(); c != -1 && c != '\n'; c = in.read()) {
                line.append((char) c);
            }
            return Integer.parseInt(line.toString().split(" ")[1]);
        }
    }

    @Test
    void malformedOversizedAndWrongRequestsAreAnsweredWithTheirHttpError() throws Exception {
        int port = FreePorts.any();
        try (StemstreamNode node = TestNodes.node(TestNodes.httpOn(port))) {
            String members = "GET /cluster/members HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
            assertEquals(200, status(port, members));
            assertEquals(400, status(port, "GET /cluster/members HTTP/1.1\r\na header with no colon\r\n\r\n"));
            assertEquals(501, status(port, "\u0001\u0002GARBAGE that is no request\r\n\r\n"));
            // just above Pekko HTTP's limits (2 kB of URI, 8 kB of a header value), so the request is all sent
            assertEquals(414, status(port, "GET /" + "a".repeat(3_000) + " HTTP/1.1\r\nHost: x\r\n\r\n"));
            assertEquals(431, status(port, "GET /cluster/members HTTP/1.1\r\nHost: x\r\nX-Big: "
                    + "b".repeat(10_000) + "\r\n\r\n"));
            assertEquals(405, status(port, "POST /cluster/shards/counting-worker HTTP/1.1\r\nHost: x\r\n"
                    + "Content-Length: 0\r\nConnection: close\r\n\r\n"));
            assertEquals(200, status(port, "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
            assertEquals(405, status(port, "POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n"
                    + "Connection: close\r\n\r\n"));
            assertEquals(404, status(port, "GET /no-such-page HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
            assertEquals(200, status(port, members));
        }
    }
}
