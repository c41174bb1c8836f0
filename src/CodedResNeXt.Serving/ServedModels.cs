using CodedResNeXt.Evaluation;
using System.Text.RegularExpressions;
using CodedResNeXt.Decoding;
using CodedResNeXt.ModelFiles;
using CodedResNeXt.Prediction;
using static TorchSharp.torch;

namespace CodedResNeXt.Serving;

/// <summary>One model the endpoints serve, under its name, with the thread that runs it.</summary>
public sealed class ServedModel
{
    internal ServedModel(string name, string source, PredictionModel model, EarlyExitCalibration? earlyExit, ServingOptions options)
    {
        Name = name;
        Source = source;
        Model = model;
        EarlyExit = earlyExit;
        Worker = new ModelWorker(name, model, earlyExit, options);
    }

    /// <summary>The name in the URLs (/v1/models/{name}/predict).</summary>
    public string Name { get; }
    /// <summary>The file the model was loaded from (or how it was given in memory).</summary>
    public string Source { get; }
    /// <summary>The predictor; only the model's worker thread runs it.</summary>
    public PredictionModel Model { get; }
    /// <summary>The early-exit calibration predictions run with; null: the full network.</summary>
    public EarlyExitCalibration? EarlyExit { get; }
    internal ModelWorker Worker { get; }
}

/// <summary>
/// The models an app serves, each under a unique name (letters, digits, '.', '_', '-'), each run by its own thread
/// with micro-batching (<see cref="ServingOptions"/>). Owns the models: disposing finishes the queued requests and
/// frees them.
/// </summary>
public sealed partial class ServedModels : IDisposable
{
    private readonly List<ServedModel> _models = [];

    /// <summary>An empty set served with <paramref name="options"/> (validated here).</summary>
    public ServedModels(ServingOptions? options = null) => Options = (options ?? new ServingOptions()).Validated();

    /// <summary>The limits and batching every model is served with.</summary>
    public ServingOptions Options { get; }

    /// <summary>The models, in the order they were added.</summary>
    public IReadOnlyList<ServedModel> All => _models;

    /// <summary>The model named <paramref name="name"/>, or null.</summary>
    public ServedModel? Find(string name) => _models.FirstOrDefault(m => m.Name == name);

    /// <summary>
    /// The name and file of a "[NAME=]FILE" spec: the name given, else the file's name without its extension. A spec whose
    /// part before '=' could be a path (it holds a '/') is all file.
    /// </summary>
    public static (string Name, string Path) ParseSpec(string spec)
    {
        int eq = spec.IndexOf('=');
        if (eq > 0 && !spec[..eq].Contains('/')) return (spec[..eq], spec[(eq + 1)..]);
        return (System.IO.Path.GetFileNameWithoutExtension(spec), spec);
    }

    /// <summary>
    /// Loads a checkpoint, a binary classifier or an ONNX file (<see cref="PredictionModel.Load"/>) and serves it as
    /// <paramref name="name"/>; a name already served, or not made of letters, digits, '.', '_' and '-', is refused.
    /// </summary>
    /// <param name="name">the name in the URLs</param>
    /// <param name="path">the model file</param>
    /// <param name="device">where a TorchSharp network runs (null: the CPU)</param>
    /// <param name="earlyExitTarget">for a checkpoint: predict with early exit, with the calibration stored in it for this target</param>
    public ServedModel Add(string name, string path, Device? device = null, double? earlyExitTarget = null)
    {
        RequireNewName(name, path);
        var model = PredictionModel.Load(path, device);
        try
        {
            EarlyExitCalibration? calibration = null;
            if (earlyExitTarget is { } target && !model.IsClassifier && !model.IsOnnx)
                calibration = model.StoredCalibration(target);
            return Add(name, path, model, calibration);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>Serves a predictor made in memory as <paramref name="name"/>; the set takes ownership of it.</summary>
    /// <param name="name">the name in the URLs</param>
    /// <param name="source">how /v1/models describes where it came from</param>
    /// <param name="model">the predictor (from <see cref="PredictionModel.Load"/>, or a model's or classifier's Predictor())</param>
    /// <param name="earlyExit">for a full network in TorchSharp: the early-exit calibration to predict with</param>
    public ServedModel Add(string name, string source, PredictionModel model, EarlyExitCalibration? earlyExit = null)
    {
        RequireNewName(name, source);
        model.MaxImagePixels = Options.MaxImagePixels;
        var served = new ServedModel(name, source, model, earlyExit, Options);
        _models.Add(served);
        return served;
    }

    private void RequireNewName(string name, string source)
    {
        if (!NamePattern().IsMatch(name))
            throw new InvalidInputException($"{source}: the model name '{name}' is not letters, digits, '.', '_' and '-' (give one as NAME=FILE)");
        if (Find(name) is { } other)
            throw new InvalidInputException($"two models are named '{name}': {other.Source} and {source} (name one NAME=FILE)");
    }

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
    private static partial Regex NamePattern();

    /// <summary>Finishes every queued request, stops the models' threads and frees the models.</summary>
    public void Dispose()
    {
        foreach (var m in _models) m.Worker.Dispose();
        foreach (var m in _models) m.Model.Dispose();
        _models.Clear();
    }
}
