using System.Runtime.CompilerServices;
using static TorchSharp.torch;

namespace CodedResNeXt.Tests.TestSupport;

/// <summary>
/// The tests' tensors are tiny and xunit already runs test classes in parallel: libtorch's intra-op threads
/// only spin against each other there (measured: the 60-step learning test takes 18 s with 2 threads on a
/// loaded 2-core machine, 1.4 s with 1). So the whole test process runs libtorch single-threaded.
/// </summary>
internal static class SingleThreadedTorch
{
    [ModuleInitializer]
    internal static void Initialize() => set_num_threads(1);
}
