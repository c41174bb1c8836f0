using System.Text.Json;
using System.Text.Json.Serialization;
using CodedResNeXt.CodingSchemes;
using CodedResNeXt.Data;
using CodedResNeXt.Data.Formats;
using CodedResNeXt.Model;

using CodedResNeXt.ModelFiles;

namespace CodedResNeXt;

/// <summary>
/// The record that travels with every model file (meta.json), as torchvision's weights metadata does: what the
/// network is (architecture and the codewords of its coding schemes), what its outputs mean (class names), what
/// input it expects (<see cref="Input"/>: how an image becomes its input; the dataset it was trained on) and how big it is. Checkpoints and extracted
/// classifiers share it; each adds one section of its own (<see cref="Sections"/>: "training", "classifier"), which
/// this layer carries without reading, so that loading a model for inference needs nothing of training.
/// </summary>
/// <param name="Kind">"checkpoint" or "binary-classifier"</param>
/// <param name="Format">the layout version of the file, <see cref="CurrentFormat"/></param>
/// <param name="Architecture">the network's architecture</param>
/// <param name="Schemes">the codewords ("0110…") of every coding scheme the architecture names, by name</param>
/// <param name="ClassNames">all K class names of the network's coding schemes</param>
/// <param name="Normalization">the per-channel normalization the network's inputs get</param>
/// <param name="Dataset">the catalogue name of the dataset it was trained on</param>
/// <param name="ExcludedClasses">classes held out of training (kept as out-of-distribution data)</param>
/// <param name="ParameterCount">learnable parameters of the network in the file</param>
public sealed record ModelMetadata(
    string Kind,
    int Format,
    ArchitectureSpec Architecture,
    IReadOnlyDictionary<string, IReadOnlyList<string>> Schemes,
    IReadOnlyList<string> ClassNames,
    Normalization Normalization,
    string Dataset,
    IReadOnlyList<int> ExcludedClasses,
    long ParameterCount)
{
    /// <summary>The format this version writes and reads (2); files of format 1 are refused with an error naming the format.</summary>
    public const int CurrentFormat = 2;

    private CodingSchemeSet? _schemeSet;

    /// <summary>
    /// How an image becomes the network's input, as stored in the file (null in files written before it was stored;
    /// <see cref="InputTransform"/> then says what those files get).
    /// </summary>
    public InputTransform? Input { get; init; }

    /// <summary>
    /// How an image becomes the network's input: <see cref="Input"/>, or for a file written before it was stored, the
    /// transform its run was validated with where its training record says (a checkpoint's folder sizes), else what
    /// prediction gave such files before: a folder model's standard resize (shorter side to 8/7 of the input side),
    /// any other the centre square scaled to the input side.
    /// </summary>
    [JsonIgnore] public InputTransform InputTransform => Input ?? (_legacyInput ??= LegacyInput());

    private InputTransform? _legacyInput;

    private InputTransform LegacyInput()
    {
        FolderGeometry? folder = null;
        if (Sections?.TryGetValue("training", out var training) == true
            && training.TryGetProperty("options", out var options) && options.TryGetProperty("folder", out var stored)
            && stored.ValueKind == JsonValueKind.Object)
            folder = stored.Deserialize<FolderGeometry>(ModelFile.Json);
        else if (DatasetRegistry.TryGet(Dataset)?.FitsImagesToInput == true)
            folder = FolderGeometry.For(Architecture.ImageSize);
        return InputTransform.For(Architecture, Normalization, folder);
    }

    /// <summary>The kind-specific sections, kept as JSON for their owners to read.</summary>
    [JsonExtensionData] public Dictionary<string, JsonElement>? Sections { get; init; }

    /// <summary>
    /// The coding schemes, parsed once from the stored codewords, by the names the blocks use. Files written before
    /// schemes were stored under those names stored a scheme named by a file path under the scheme's own name; a
    /// block whose name is missing then takes the one stored scheme no block names, when there is exactly one.
    /// </summary>
    [JsonIgnore] internal CodingSchemeSet SchemeSet => _schemeSet ??= CodingSchemeSet.FromCodewords(SchemesByBlockName(), $"the {Kind} file");

    private IReadOnlyDictionary<string, IReadOnlyList<string>> SchemesByBlockName()
    {
        var named = (Architecture?.Blocks ?? []).Where(b => b is { IsCoded: true }).Select(b => b.Scheme!).Distinct().ToList();
        var missing = named.Where(n => !Schemes.ContainsKey(n)).ToList();
        var unclaimed = Schemes.Keys.Where(k => !named.Contains(k)).ToList();
        if (missing.Count != 1 || unclaimed.Count != 1) return Schemes;
        return new Dictionary<string, IReadOnlyList<string>>(Schemes) { [missing[0]] = Schemes[unclaimed[0]] };
    }

    /// <summary>The classes the network's outputs stand for (indices among all K), in output order.</summary>
    [JsonIgnore] public IReadOnlyList<int> KeptClasses => Architecture.OutputClasses;

    /// <summary>The metadata of <paramref name="network"/>: its architecture, the codewords of its schemes, its size, its input.</summary>
    /// <param name="kind">"checkpoint" or "binary-classifier"</param>
    /// <param name="network">the network the file holds</param>
    /// <param name="classNames">all K class names</param>
    /// <param name="normalization">the constants its inputs are normalized with</param>
    /// <param name="dataset">the catalogue name of the dataset it was trained on</param>
    /// <param name="excludedClasses">classes held out of training</param>
    /// <param name="input">how images become its input (null: fixed-size images, the centre square scaled to the input side)</param>
    public static ModelMetadata Of(string kind, CodedResNeXtNetwork network, IReadOnlyList<string> classNames, Normalization normalization,
        string dataset, IReadOnlyList<int> excludedClasses, InputTransform? input = null) =>
        // Stored under the name each block uses (a built-in name, or the path of a scheme file), so the file holds
        // what its blocks need wherever it is loaded.
        new(kind, CurrentFormat, network.Architecture,
            network.CodedBlocks.Select(b => (Name: b.Block.Spec.Scheme!, b.Block.Scheme!)).DistinctBy(s => s.Name)
                .ToDictionary(s => s.Name, s => s.Item2.ToStrings()),
            classNames, normalization, dataset, excludedClasses, network.ParameterCount)
        {
            Input = input ?? InputTransform.For(network.Architecture, normalization, null),
        };

    /// <summary>This record with one kind-specific section set.</summary>
    public ModelMetadata WithSection<T>(string name, T section) => this with
    {
        Sections = new Dictionary<string, JsonElement>(Sections ?? []) { [name] = JsonSerializer.SerializeToElement(section, ModelFile.Json) },
    };

    /// <summary>Reads a kind-specific section; a missing or malformed one is an error naming <paramref name="path"/>.</summary>
    public T Section<T>(string name, string path)
    {
        if (Sections is null || !Sections.TryGetValue(name, out var element))
            throw InvalidInputException.ForFile(path, $"meta.json has no \"{name}\" section");
        try
        {
            return element.Deserialize<T>(ModelFile.Json) ?? throw InvalidInputException.ForFile(path, $"the \"{name}\" section of meta.json is null");
        }
        catch (JsonException e) { throw InvalidInputException.ForFile(path, $"the \"{name}\" section of meta.json is not valid: {e.Message.Split('\n')[0]}"); }
    }
}
