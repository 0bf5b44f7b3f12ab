//go:build !race

package beacon

const raceEnabled = false
