package org.stemstream.node.ingest;

/** What enters the frame assembler: sector messages from the sockets, and scan control from the node's host. */
public sealed interface IngestInput permits SectorMessage, ScanControl {
}
