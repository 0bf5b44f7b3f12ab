package tlsparse

// DNS over TCP (RFC 1035 4.2.2, RFC 7766) frames each message with a
// 2-byte length. A message opens with a 12-byte header (id, flags, then
// the counts of questions, answers, authority and additional records)
// and, in a query or its response, one question: a name of labels, then
// a type and a class. Suricata names such flows dns; so does Sniff.
const (
	dnsHeaderLen = 12
	dnsMaxLabel  = 63
	dnsMaxName   = 255
)

// looksDNS reports whether b, the start of one direction of a stream, is
// a DNS message over TCP: a length that holds a header and a question, a
// header with one question and an opcode and reserved bit as queries and
// responses have them, and a whole question whose name is of labels a
// resolver would send and whose class is one DNS defines.
func looksDNS(b []byte) bool {
	if len(b) < 2+dnsHeaderLen+1+4 {
		return false
	}
	n := int(b[0])<<8 | int(b[1])
	if n < dnsHeaderLen+1+4 {
		return false
	}
	m := b[2:min(len(b), 2+n)]
	flags := int(m[2])<<8 | int(m[3])
	opcode, z := flags>>11&0xf, flags&0x40
	qd := int(m[4])<<8 | int(m[5])
	if qd != 1 || z != 0 || (opcode != 0 && opcode != 2 && opcode != 4 && opcode != 5) {
		return false
	}
	// The question: labels of 1-63 bytes (printable, no spaces) up to a
	// zero, then type and class, within the message and what Sniff holds.
	q, name := m[dnsHeaderLen:], 0
	for {
		if len(q) == 0 {
			return false
		}
		l := int(q[0])
		if l == 0 {
			break
		}
		if l > dnsMaxLabel || len(q) < 1+l || name+1+l > dnsMaxName {
			return false
		}
		for _, c := range q[1 : 1+l] {
			if c <= ' ' || c >= 0x7f {
				return false
			}
		}
		name += 1 + l
		q = q[1+l:]
	}
	if len(q) < 1+4 {
		return false
	}
	switch class := int(q[3])<<8 | int(q[4]); class {
	case 1, 3, 4, 254, 255: // IN, CH, HS, NONE, ANY
		return true
	}
	return false
}
