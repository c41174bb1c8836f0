namespace CodedResNeXt.Tests.Interop;

/// <summary>
/// The authors' CIFAR-10 network as PyTorch Lightning 1.5+ saves it (Fixtures/lightning-cifar10/new_exp.ckpt: the tensors
/// of official-cifar10 in "state_dict", with epoch, global_step, loops, callbacks, optimizer and scheduler state), and a
/// file of the same format whose pickle runs <c>touch /tmp/crx-pickle-ran</c> when Python unpickles it.
/// </summary>
internal static class LightningFixture
{
    public static readonly string Directory = Path.Combine(AppContext.BaseDirectory, "Interop", "Fixtures", "lightning-cifar10");
    public static readonly string Checkpoint = Path.Combine(Directory, "new_exp.ckpt");
    public static readonly string Hostile = Path.Combine(Directory, "hostile-pickle.ckpt");

    /// <summary>The file hostile-pickle.ckpt creates if anything runs its pickle's call.</summary>
    public const string Marker = "/tmp/crx-pickle-ran";
}
