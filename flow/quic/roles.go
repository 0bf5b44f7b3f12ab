package quic

// OpensAsClientInitial reports whether datagram b starts with an Initial
// packet that opens with the client keys of its own Destination
// Connection ID: a client's first Initial. A server's Initial is protected
// with keys of the client's original ID, which its own header does not
// carry, so it never does (but by a forged ID). A capture that merged the
// two directions out of order shows the server's Initials first; this
// tells which side its flow's client is once the client's arrives. It
// derives keys and tries one AEAD: for the rare datagram whose flow has
// opened nothing yet, not for every datagram.
func OpensAsClientInitial(b []byte) bool {
	h, err := ParseLongHeader(b)
	if err != nil || h.Type != PacketInitial {
		return false
	}
	p := lookup(h.Version)
	if p == nil {
		return false
	}
	ks, err := newKeySet(h.Version, p, h.DCID)
	if err != nil {
		return false
	}
	scratch := scratchPool.Get().(*[]byte)
	defer scratchPool.Put(scratch)
	_, err = ks.client.open(scratch, b[:h.Len], h.PNOffset, 0)
	return err == nil
}
