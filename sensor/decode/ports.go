package decode

// PortSet is a set of port numbers, one bit each.
type PortSet [65536 / 64]uint64

// NewPortSet returns the set of ports; nil (every port) when the list is
// empty, as the sensor's watched ports read.
func NewPortSet(ports []uint16) *PortSet {
	if len(ports) == 0 {
		return nil
	}
	var s PortSet
	for _, p := range ports {
		s[p/64] |= 1 << (p % 64)
	}
	return &s
}

// Has reports whether p is in the set; a nil set holds every port.
func (s *PortSet) Has(p uint16) bool {
	return s == nil || s[p/64]&(1<<(p%64)) != 0
}

// Either reports whether either port is in the set: a connection is
// watched when one of its ends is.
func (s *PortSet) Either(a, b uint16) bool {
	return s == nil || s[a/64]&(1<<(a%64)) != 0 || s[b/64]&(1<<(b%64)) != 0
}
