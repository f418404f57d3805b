import SDSCMCommandLine

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

#if canImport(Glibc)
// Units run as concurrent tasks while the engine allocates its caches from whichever thread flushes a batch;
// glibc would give each thread its own malloc arena and the fragments would add ~150 MB of resident memory to a
// benchmark run. One arena keeps the footprint of single-threaded allocation (measured: same speed).
@_silgen_name("mallopt") func mallopt(_ parameter: Int32, _ value: Int32) -> Int32
let mallocArenaMax: Int32 = -8  // M_ARENA_MAX in <malloc.h>, which the Glibc module does not export
_ = mallopt(mallocArenaMax, 1)
#endif

exit(await SDSCMCommandLine.run(Array(CommandLine.arguments.dropFirst()), io: .standard()))
