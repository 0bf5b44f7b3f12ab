//go:build race

package beacon

// raceEnabled is true under the race detector, whose slowdown (about 10x)
// makes the longest tests run on a part of their data.
const raceEnabled = true
