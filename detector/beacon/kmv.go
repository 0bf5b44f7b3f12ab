package beacon

// kmvSize is how many distinct clients a destination counts exactly; above
// it the count is a K-minimum-values estimate (Bar-Yossef et al. 2002):
// keep the K smallest client hashes, estimate (K-1)/(K-th smallest as a
// fraction of the hash range). 16 is about ±25% at the level where it
// matters here: popular or not.
const kmvSize = 16

// globalKMVSize is the same for the distinct clients of the whole network
// (about ±6%), which only the reasons quote.
const globalKMVSize = 256

// kmvAdd records hash x in the sorted set s (the smallest distinct hashes
// seen, at most cap(s)) and returns the set.
func kmvAdd(s []uint32, x uint32) []uint32 {
	n := len(s)
	if n == cap(s) && x >= s[n-1] {
		return s
	}
	lo, hi := 0, n
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if s[m] < x {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo < n && s[lo] == x {
		return s
	}
	if n < cap(s) {
		s = s[:n+1]
	}
	copy(s[lo+1:], s[lo:len(s)-1])
	s[lo] = x
	return s
}

// kmvEstimate is the distinct count a full or partial set stands for.
func kmvEstimate(s []uint32) float64 {
	n := len(s)
	if n < cap(s) || n == 0 {
		return float64(n)
	}
	return float64(n-1) * (1 << 32) / (float64(s[n-1]) + 1)
}

// kmvUnion merges a and b into dst (empty, cap(dst) ≤ cap of either):
// the smallest distinct hashes of the union, a valid sketch of it, since
// each of them is among the smallest of a or of b.
func kmvUnion(dst, a, b []uint32) []uint32 {
	i, j := 0, 0
	for len(dst) < cap(dst) && (i < len(a) || j < len(b)) {
		var x uint32
		switch {
		case j >= len(b) || (i < len(a) && a[i] < b[j]):
			x, i = a[i], i+1
		case i >= len(a) || b[j] < a[i]:
			x, j = b[j], j+1
		default:
			x, i, j = a[i], i+1, j+1
		}
		dst = append(dst, x)
	}
	return dst
}

// clientSet counts distinct clients over the current and the previous
// window (two generations, so counts fade a window after a client goes
// quiet).
type clientSet struct {
	epoch     int64 // window number of cur
	nc, np    uint8 // hashes held in cur and prev
	cur, prev [kmvSize]uint32
}

func (c *clientSet) add(epoch int64, x uint32) {
	c.rotate(epoch)
	c.nc = uint8(len(kmvAdd(c.cur[:c.nc:kmvSize], x)))
}

func (c *clientSet) rotate(epoch int64) {
	switch {
	case epoch <= c.epoch:
		return
	case epoch == c.epoch+1:
		c.prev, c.np = c.cur, c.nc
	default:
		c.np = 0
	}
	c.nc, c.epoch = 0, epoch
}

// count estimates the distinct clients of both windows.
func (c *clientSet) count(epoch int64) float64 {
	c.rotate(epoch)
	var buf [kmvSize]uint32
	return kmvEstimate(kmvUnion(buf[:0], c.cur[:c.nc:kmvSize], c.prev[:c.np:kmvSize]))
}

// netClients counts the distinct clients of the whole network over the
// current and the previous window, as clientSet does for one destination.
type netClients struct {
	epoch     int64
	cur, prev []uint32
}

func newNetClients() netClients {
	return netClients{cur: make([]uint32, 0, globalKMVSize), prev: make([]uint32, 0, globalKMVSize)}
}

func (c *netClients) add(epoch int64, x uint32) {
	if epoch > c.epoch {
		if epoch == c.epoch+1 {
			c.prev, c.cur = c.cur, c.prev
		} else {
			c.prev = c.prev[:0]
		}
		c.cur, c.epoch = c.cur[:0], epoch
	}
	c.cur = kmvAdd(c.cur, x)
}

func (c *netClients) count() float64 {
	var buf [globalKMVSize]uint32
	return kmvEstimate(kmvUnion(buf[:0], c.cur, c.prev))
}
