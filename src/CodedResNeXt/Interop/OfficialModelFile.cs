using CodedResNeXt.BinaryClassifiers;
using CodedResNeXt.CodingSchemes;
using CodedResNeXt.Data;
using CodedResNeXt.Model;
using CodedResNeXt.ModelFiles;
using CodedResNeXt.Training;

namespace CodedResNeXt.Interop;

/// <summary>
/// Weights of the authors' released CIFAR code (a safetensors file in its state_dict layout, see
/// <see cref="OfficialLayout"/>) in and out of our model files. An imported model is a checkpoint that eval,
/// predict, extract and analyze read like any other; it holds no optimizer or generator state, so it starts new
/// runs (<c>crx train --init-from</c>) but cannot be resumed.
/// </summary>
public static class OfficialModelFile
{
    /// <summary>The presets the released CIFAR code trains, by the name <c>--arch</c> takes.</summary>
    public static IReadOnlyList<string> Architectures { get; } = ["cifar10", "cifar100"];

    /// <summary>Reads <paramref name="from"/> for the preset <paramref name="architecture"/> and writes the checkpoint <paramref name="outPath"/>.</summary>
    public static void Import(string from, string architecture, string outPath)
    {
        if (!Architectures.Contains(architecture))
            throw InvalidInputException.ForOption("Architecture", $"'{architecture}' has no counterpart in the released code; use {string.Join(" or ", Architectures)}");
        RefuseOverwrite(outPath);
        if (!File.Exists(from)) throw InvalidInputException.ForFile(from, "does not exist");
        if (IsZip(from))
            throw InvalidInputException.ForFile(from, "a zip archive (a PyTorch/Lightning .ckpt pickle or a checkpoint of ours), not safetensors; " +
                                                      "pickles are not read here, as unpickling can run code: convert it first (docs/interop.md)");

        var tensors = SafeTensors.Load(from);
        try
        {
            using var network = new CodedResNeXtNetwork(Presets.Get(architecture), CodingSchemeSet.BuiltInsAndFiles);
            OfficialLayout.Import(network, tensors, from);
            network.eval();
            var model = ModelMetadata.Of(Checkpoint.Kind, network, ClassNames(architecture), Normalization.Published(architecture)!, architecture, []);
            string? dir = Path.GetDirectoryName(Path.GetFullPath(outPath));
            if (dir is not null) Directory.CreateDirectory(dir);
            Checkpoint.SaveWeightsOnly(outPath, model, network, TrainingOptions.For(architecture) with { Epochs = 0 }, NothingTrained(network));
        }
        finally
        {
            foreach (var t in tensors.Values) t.Dispose();
        }
    }

    /// <summary>Writes the network of the checkpoint <paramref name="checkpoint"/> as a safetensors file in the released code's layout.</summary>
    public static void Export(string checkpoint, string outPath)
    {
        if (ModelFile.ReadMetadata(checkpoint).Kind == BinaryClassifierFile.Kind)
            throw InvalidInputException.ForFile(checkpoint, "an extracted classifier has no counterpart in the released code; export the checkpoint it came from");
        RefuseOverwrite(outPath);
        var (network, _) = ModelFile.Load(checkpoint);
        using (network)
        {
            var tensors = OfficialLayout.Export(network);
            try
            {
                ModelFile.WriteAtomically(outPath, stream => SafeTensors.Save(stream, tensors));
            }
            finally
            {
                foreach (var t in tensors.Values) t.Dispose();
            }
        }
    }

    private static bool IsZip(string path)
    {
        using var file = File.OpenRead(path);
        return file.ReadByte() == 'P' && file.ReadByte() == 'K';
    }

    private static void RefuseOverwrite(string outPath)
    {
        if (File.Exists(outPath) || Directory.Exists(outPath))
            throw InvalidInputException.ForOption("Out", $"{outPath} already exists; choose another path or delete it");
    }

    private static TrainingState NothingTrained(CodedResNeXtNetwork network)
    {
        int coded = network.CodedBlocks.Count;
        var none = new EpochMetrics(0, double.NaN, double.NaN, double.NaN, double.NaN, Enumerable.Repeat(double.NaN, coded).ToList(),
            double.NaN, Enumerable.Repeat(double.NaN, coded).ToList(), double.NaN, double.NaN, 0);
        return new TrainingState(0, double.NaN, none);
    }

    /// <summary>The class names of the official CIFAR sets, in label order (batches.meta.txt, fine_label_names.txt).</summary>
    public static IReadOnlyList<string> ClassNames(string architecture) => architecture switch
    {
        "cifar10" => ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"],
        "cifar100" =>
        [
            "apple", "aquarium_fish", "baby", "bear", "beaver", "bed", "bee", "beetle", "bicycle", "bottle",
            "bowl", "boy", "bridge", "bus", "butterfly", "camel", "can", "castle", "caterpillar", "cattle",
            "chair", "chimpanzee", "clock", "cloud", "cockroach", "couch", "crab", "crocodile", "cup", "dinosaur",
            "dolphin", "elephant", "flatfish", "forest", "fox", "girl", "hamster", "house", "kangaroo", "keyboard",
            "lamp", "lawn_mower", "leopard", "lion", "lizard", "lobster", "man", "maple_tree", "motorcycle", "mountain",
            "mouse", "mushroom", "oak_tree", "orange", "orchid", "otter", "palm_tree", "pear", "pickup_truck", "pine_tree",
            "plain", "plate", "poppy", "porcupine", "possum", "rabbit", "raccoon", "ray", "road", "rocket",
            "rose", "sea", "seal", "shark", "shrew", "skunk", "skyscraper", "snail", "snake", "spider",
            "squirrel", "streetcar", "sunflower", "sweet_pepper", "table", "tank", "telephone", "television", "tiger", "tractor",
            "train", "trout", "tulip", "turtle", "wardrobe", "whale", "willow_tree", "wolf", "woman", "worm",
        ],
        _ => throw new ArgumentException($"no class names for '{architecture}'"),
    };
}
