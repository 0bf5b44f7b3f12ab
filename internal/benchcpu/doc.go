// Package benchcpu reports a benchmark's throughput per second of process
// CPU time beside the wall-clock figure: on a shared, noisy machine the
// time other processes take from this one inflates wall time but not CPU
// time. Run such benchmarks with GOMAXPROCS=1 so that CPU time is the
// benchmark's own work (plus the GC's).
package benchcpu
