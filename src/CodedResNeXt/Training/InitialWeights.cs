using System.Text.Json;
using CodedResNeXt.CodingSchemes;
using CodedResNeXt.Model;
using CodedResNeXt.ModelFiles;

namespace CodedResNeXt.Training;

/// <summary>
/// <c>crx train --init-from</c>: a new run whose initial weights (BN statistics included) are a checkpoint's.
/// Only the weights come over; the optimizer, schedule, epoch count and random generator start afresh.
/// </summary>
internal static class InitialWeights
{
    /// <summary>Copies the weights of the checkpoint <paramref name="path"/> into <paramref name="network"/>, whose architecture it must have.</summary>
    public static void Load(CodedResNeXtNetwork network, string path)
    {
        Check(path, network.Architecture, network.Schemes);
        var (source, _) = Checkpoint.Load(path);
        using (source)
        {
            var from = source.state_dict();
            using var _ = TorchSharp.torch.no_grad();
            foreach (var (name, target) in network.state_dict()) target.copy_(from[name]);
        }
    }

    /// <summary>Whether <paramref name="path"/> can start <paramref name="run"/>: an <see cref="InvalidInputException"/> otherwise, before any work.</summary>
    public static void Check(string path, TrainingRun run) => Check(path, run.Architecture, run.Schemes);

    private static void Check(string path, ArchitectureSpec architecture, CodingSchemeSet schemes)
    {
        var info = Checkpoint.ReadInfo(path);
        string? difference = Difference(info, architecture, schemes);
        if (difference is not null)
            throw InvalidInputException.ForOption(nameof(TrainingSetup.InitFrom),
                $"{path} holds architecture '{info.Architecture.Name}', the run trains '{architecture.Name}'; {difference}");
    }

    // p_drop and the name do not change a single weight; everything else about the blocks, and the codewords, must match.
    private static string? Difference(CheckpointInfo info, ArchitectureSpec ours, CodingSchemeSet ourSchemes)
    {
        var theirs = info.Architecture;
        string Json<T>(T value) => JsonSerializer.Serialize(value, ModelFile.Json);
        if (Json(theirs.Stem) != Json(ours.Stem) || theirs.Classes != ours.Classes || theirs.InputChannels != ours.InputChannels
            || Json(theirs.KeptClasses) != Json(ours.KeptClasses))
            return "their stems, inputs or classes differ";
        if (theirs.Blocks.Count != ours.Blocks.Count)
            return $"{theirs.Blocks.Count} blocks against {ours.Blocks.Count}";
        var schemes = info.Model.SchemeSet;
        for (int i = 0; i < ours.Blocks.Count; i++)
        {
            var a = theirs.Blocks[i] with { PDrop = 0 };
            var b = ours.Blocks[i] with { PDrop = 0 };
            if (a.IsCoded != b.IsCoded || Json(a with { Scheme = null }) != Json(b with { Scheme = null }))
                return $"block {i} differs";
            if (a.IsCoded && !schemes[a.Scheme!].ToStrings().SequenceEqual(ourSchemes[b.Scheme!].ToStrings()))
                return $"block {i} has other codewords";
        }
        return null;
    }
}
