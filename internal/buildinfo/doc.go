// Package buildinfo says which build of tlsentry is running: its module
// version and VCS revision, for `tlsentry version` and the
// tlsentry_build_info metric.
//
// They come from the linker when the build stamped them (make build and
// make install do, with -ldflags -X, because builds with -buildvcs=false
// record no VCS information), else from the Go build information, else
// they are unknown and say so.
package buildinfo
