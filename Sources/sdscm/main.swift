import SDSCMCommandLine

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

exit(SDSCMCommandLine.run(Array(CommandLine.arguments.dropFirst()), io: .standard()))
