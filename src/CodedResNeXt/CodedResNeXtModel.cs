using CodedResNeXt.BinaryClassifiers;
using CodedResNeXt.CodingSchemes;
using CodedResNeXt.Data;
using CodedResNeXt.Data.Loading;
using CodedResNeXt.Decoding;
using CodedResNeXt.Evaluation;
using CodedResNeXt.Interop;
using CodedResNeXt.Model;
using CodedResNeXt.ModelFiles;
using CodedResNeXt.Prediction;
using CodedResNeXt.Runtime;
using CodedResNeXt.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace CodedResNeXt;

/// <summary>
/// A Coded ResNeXt network together with the record that travels with it (<see cref="ModelMetadata"/>: class names,
/// normalization, architecture, codewords): the library's one entry for the common path. Build one from a preset or an
/// architecture made in code (<see cref="Create(string, IReadOnlyList{string}?, Normalization?, int)"/>), train one
/// (<see cref="Train(TrainingData, TrainingOptions, TrainingSetup?, IProgress{TrainingProgress}?, CancellationToken)"/>)
/// or load one (<see cref="Load"/>); then evaluate it, extract a class's binary classifier, predict, and save it.
/// Owns its network: dispose the model when done.
/// </summary>
public sealed class CodedResNeXtModel : IDisposable
{
    // Where training stood (null: nothing trained it); what Save writes into the checkpoint's training record.
    private readonly TrainingState? _state;
    // An imported model's recipe: what Save records, as crx import does.
    private TrainingOptions? _importedRecipe;

    private CodedResNeXtModel(CodedResNeXtNetwork network, ModelMetadata metadata, TrainingOptions? options,
        IReadOnlyList<EpochMetrics> history, long? stoppedAtStep, TrainingState? state, bool cancelled = false)
    {
        _state = state;
        Cancelled = cancelled;
        Network = network;
        Metadata = metadata;
        TrainingOptions = options;
        History = history;
        StoppedAtStep = stoppedAtStep;
    }

    /// <summary>The TorchSharp module, for everything below the common path (its segments, its coded blocks).</summary>
    public CodedResNeXtNetwork Network { get; }
    /// <summary>The record saved with the network: what its outputs mean and what input it expects.</summary>
    public ModelMetadata Metadata { get; }
    /// <summary>The architecture as built (for a trained control: every block N/N).</summary>
    public ArchitectureSpec Architecture => Network.Architecture;
    /// <summary>All K class names, in label order.</summary>
    public IReadOnlyList<string> ClassNames => Metadata.ClassNames;
    /// <summary>How the network was trained (null: built untrained, or imported).</summary>
    public TrainingOptions? TrainingOptions { get; }
    /// <summary>The epochs this model's training call finished, in order (empty when nothing was trained here).</summary>
    public IReadOnlyList<EpochMetrics> History { get; }
    /// <summary>
    /// The global step at which training stopped before its last epoch, if it did: at <see cref="TrainingSetup.MaxSteps"/>,
    /// or after the step in flight when the cancellation token fired (<see cref="Cancelled"/>). With a run folder, its
    /// last.ckpt holds that step and <see cref="TrainingSetup.Resume"/> continues exactly from it.
    /// </summary>
    public long? StoppedAtStep { get; }
    /// <summary>Whether the cancellation token stopped training before its last epoch (the weights are those of <see cref="StoppedAtStep"/>).</summary>
    public bool Cancelled { get; }

    /// <summary>An untrained network of a preset (<see cref="Presets.Names"/>), its weights drawn from <paramref name="seed"/>.</summary>
    /// <param name="preset">the preset's name, e.g. "cifar10" or "fashion-tiny"</param>
    /// <param name="classNames">the K class names (null: "0", "1", ...)</param>
    /// <param name="normalization">the input's per-channel constants (null: mean 0.5, std 0.25 per channel)</param>
    /// <param name="seed">the seed of the generator that draws the initial weights</param>
    public static CodedResNeXtModel Create(string preset, IReadOnlyList<string>? classNames = null, Normalization? normalization = null, int seed = 1) =>
        Create(Presets.Get(preset), classNames, normalization, seed);

    /// <summary>An untrained network of an architecture made in code (validated here).</summary>
    /// <param name="architecture">the architecture, e.g. a preset changed with <c>with</c></param>
    /// <param name="classNames">the K class names (null: "0", "1", ...)</param>
    /// <param name="normalization">the input's per-channel constants (null: mean 0.5, std 0.25 per channel)</param>
    /// <param name="seed">the seed of the generator that draws the initial weights</param>
    /// <param name="schemes">coding schemes made in code that the blocks name (<see cref="CodingScheme.Generate"/>,
    /// <see cref="CodingScheme.Parse(string, IEnumerable{string})"/>), besides the built-in ones and scheme files</param>
    public static CodedResNeXtModel Create(ArchitectureSpec architecture, IReadOnlyList<string>? classNames = null,
        Normalization? normalization = null, int seed = 1, IReadOnlyList<CodingScheme>? schemes = null)
    {
        var schemeSet = CodingSchemeSet.With(schemes);
        classNames ??= Enumerable.Range(0, architecture.Classes).Select(k => k.ToString()).ToList();
        if (classNames.Count != architecture.Classes)
            throw InvalidInputException.ForOption(nameof(classNames), $"{classNames.Count} names for the {architecture.Classes} classes of {architecture.Name}");
        normalization ??= new Normalization(Enumerable.Repeat(0.5f, architecture.InputChannels).ToList(), Enumerable.Repeat(0.25f, architecture.InputChannels).ToList());
        using var generator = new Generator((ulong)seed);
        var network = new CodedResNeXtNetwork(architecture, schemeSet, generator: generator);
        network.eval();
        var meta = ModelMetadata.Of(Checkpoint.Kind, network, classNames, normalization, "none", []);
        return new CodedResNeXtModel(network, meta, null, [], null, null);
    }

    /// <summary>
    /// Trains the architecture <paramref name="options"/> names (a preset or an architecture file) on
    /// <paramref name="data"/>: the paper's objective and recipe (SGD with Nesterov momentum, cosine schedule, coding
    /// loss weighted by mu, dropSubNNs), validated after every epoch.
    /// </summary>
    /// <param name="data">the images (<see cref="TrainingData.Load"/>, or <see cref="TrainingData.From"/> over datasets in memory)</param>
    /// <param name="options">the hyperparameters (<see cref="Training.TrainingOptions.For"/> gives the paper's for a dataset)</param>
    /// <param name="setup">where and how: a run folder (null: in memory), device, process settings</param>
    /// <param name="progress">told every few steps where the epoch stands</param>
    /// <param name="cancellationToken">stops after the step in flight; the model then holds the weights reached and says so
    /// (<see cref="Cancelled"/>), and a run folder's last.ckpt holds that step for <see cref="TrainingSetup.Resume"/></param>
    public static CodedResNeXtModel Train(TrainingData data, TrainingOptions options, TrainingSetup? setup = null,
        IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        setup ??= new TrainingSetup();
        setup.Validate();
        return Train(new TrainingRun(options, data, setup.RunDirectory, CodingSchemeSet.BuiltInsAndFiles) { Device = setup.Device ?? CPU }.With(setup),
            setup, progress, cancellationToken);
    }

    /// <summary>Trains an architecture made in code on <paramref name="data"/> (see the overload above).</summary>
    /// <param name="architecture">the network to train (the options' control and p_drop settings still apply)</param>
    /// <param name="data">the images to train and validate on</param>
    /// <param name="options">the hyperparameters; its <see cref="Training.TrainingOptions.Architecture"/> becomes the architecture's name</param>
    /// <param name="setup">where and how: a run folder (null: in memory), device, process settings</param>
    /// <param name="progress">told every few steps where the epoch stands</param>
    /// <param name="cancellationToken">stops after the step in flight (see the overload above)</param>
    /// <param name="schemes">coding schemes made in code that the blocks name (<see cref="CodingScheme.Generate"/>,
    /// <see cref="CodingScheme.Parse(string, IEnumerable{string})"/>), besides the built-in ones and scheme files; the
    /// model's files carry their codewords</param>
    public static CodedResNeXtModel Train(ArchitectureSpec architecture, TrainingData data, TrainingOptions options, TrainingSetup? setup = null,
        IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default, IReadOnlyList<CodingScheme>? schemes = null)
    {
        setup ??= new TrainingSetup();
        setup.Validate();
        return Train(new TrainingRun(architecture, options, data, setup.RunDirectory, CodingSchemeSet.With(schemes)) { Device = setup.Device ?? CPU }.With(setup),
            setup, progress, cancellationToken);
    }

    private static CodedResNeXtModel Train(TrainingRun run, TrainingSetup setup, IProgress<TrainingProgress>? progress, CancellationToken cancel)
    {
        if (setup.ApplyProcessSettings) ProcessSettings.Apply(setup.Threads);
        var result = new Trainer(run).Run(setup.Resume, progress, setup.EpochDone, cancel);
        var meta = ModelMetadata.Of(Checkpoint.Kind, result.Network, run.Data.ClassNames, run.Data.Normalization, run.Options.Dataset, run.Data.ExcludedClasses, run.InputTransform);
        var last = result.History.Count > 0 ? result.History[^1] : null;
        var state = last is null ? null : new TrainingState(last.Epoch, result.History.Max(m => m.ValidationTop1), last);
        return new CodedResNeXtModel(result.Network, meta, run.Options, result.History, result.StoppedAtStep, state, result.Cancelled) { LastEvaluation = result.LastEvaluation };
    }

    /// <summary>
    /// Reads what a checkpoint says of its run without building its network: the model's record, the run's options,
    /// where training stood, whether it can be resumed, and its log of epochs.
    /// </summary>
    /// <param name="checkpoint">a .ckpt file (a run's last.ckpt or best.ckpt, or a saved or imported model)</param>
    public static CheckpointInfo Inspect(string checkpoint) => Checkpoint.ReadInfo(checkpoint) with { Log = Checkpoint.ReadLog(checkpoint) };

    /// <summary>
    /// What any file of weights is, read without building a network or running anything: a checkpoint, an extracted
    /// classifier, an ONNX file exported from either (with an int8 file's quantization and calibration), or a
    /// <c>torch.save</c> file such as the authors' Lightning checkpoints (its epoch, step and state_dict size). An
    /// <see cref="InvalidInputException"/> naming the file when it is none of them.
    /// </summary>
    /// <param name="path">the file (.ckpt, .crxb, .onnx, or a torch.save file)</param>
    public static ModelFileInfo InspectFile(string path) => ModelFileInfo.Read(path);

    /// <summary>
    /// Checks a run before it starts, as <see cref="Train(TrainingData, TrainingOptions, TrainingSetup?, IProgress{TrainingProgress}?, CancellationToken)"/>
    /// would when it does: the architecture against the data (channels, size, classes), p_drop, the augmentation of
    /// streamed images, the setup, and the weights of <see cref="TrainingSetup.InitFrom"/>. Returns the network it trains,
    /// as configured (for the control: every block N/N).
    /// </summary>
    /// <param name="data">the images</param>
    /// <param name="options">the hyperparameters</param>
    /// <param name="setup">how it will run (null: the defaults)</param>
    public static ArchitectureSpec CheckTraining(TrainingData data, TrainingOptions options, TrainingSetup? setup = null)
    {
        setup?.Validate();
        var run = new TrainingRun(options, data, null, CodingSchemeSet.BuiltInsAndFiles);
        if (setup?.InitFrom is { } initFrom && !setup.Resume) InitialWeights.Check(initFrom, run);
        return run.Architecture;
    }

    /// <summary>
    /// Takes a run folder for the calling flow of work until the result is disposed (creating the folder): a training
    /// started there by the same flow takes it again, another process or another flow gets
    /// <see cref="RunFolderInUseException"/>. Take it before writing beside a run (a recipe, a check that the folder is
    /// empty) so that nothing else starts there meanwhile.
    /// </summary>
    /// <param name="directory">the run folder</param>
    public static IDisposable LockRunFolder(string directory) => RunFolderLock.Acquire(directory);

    /// <summary>The last validation of the training that returned this model: its evaluation on the validation set after the last epoch (null when no epoch finished in that call).</summary>
    public EvaluationResult? LastEvaluation { get; private init; }

    /// <summary>
    /// The authors' released weights as a model in memory, in eval mode: a safetensors file in their state_dict layout or a
    /// Lightning checkpoint (or any <c>torch.save</c> of such a state_dict, read without running its pickle), for a
    /// preset or an architecture file. The CIFAR presets get the CIFAR class names and the authors' normalization,
    /// imagenet timm's defaults; <see cref="Save"/> writes the checkpoint <c>crx import</c> would.
    /// </summary>
    /// <param name="path">the weights file</param>
    /// <param name="architecture">a preset ("cifar10", "cifar100", "imagenet") or an architecture file</param>
    /// <param name="format">how the weights are stored</param>
    public static CodedResNeXtModel Import(string path, string architecture, WeightsFormat format = WeightsFormat.Safetensors)
    {
        var (network, metadata, options) = OfficialModelFile.Read(path, architecture, format);
        return new CodedResNeXtModel(network, metadata, null, [], null, TrainingState.NothingTrained(network.CodedBlocks.Count)) { _importedRecipe = options };
    }

    /// <summary>Loads a checkpoint (.ckpt: a run's last.ckpt or best.ckpt, or an imported network), in eval mode.</summary>
    /// <param name="path">the checkpoint file</param>
    /// <param name="device">where the network runs (null: the CPU; e.g. TorchSharp's <c>torch.CUDA</c>)</param>
    /// <param name="forUpdate">the checkpoint will be changed (<see cref="StoreCalibration"/>): in a run folder, take the
    /// folder's lock now and hold it until the model is disposed, so that a run training there is found before any work
    /// is done, and cannot start meanwhile</param>
    public static CodedResNeXtModel Load(string path, Device? device = null, bool forUpdate = false)
    {
        var owned = forUpdate ? LockRunFolderOf(path) : null;
        try
        {
            var (network, info) = Checkpoint.Load(path);
            if (device is not null) network.to(device);
            return new CodedResNeXtModel(network, info.Model, info.Options, [], null, info.State) { SourcePath = path, _runFolder = owned };
        }
        catch
        {
            owned?.Dispose();
            throw;
        }
    }

    // The run folder's lock, held by a model loaded for update.
    private RunFolderLock? _runFolder;

    // The lock of the run folder holding a checkpoint (one with a run.lock file), taken; null for a checkpoint elsewhere.
    private static RunFolderLock? LockRunFolderOf(string checkpoint)
    {
        string folder = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(checkpoint))!;
        return File.Exists(System.IO.Path.Combine(folder, RunFolderLock.FileName)) ? RunFolderLock.Acquire(folder) : null;
    }

    /// <summary>
    /// Writes the network as a checkpoint of weights only (atomically): it loads anywhere, starts a new run
    /// (<see cref="TrainingSetup.InitFrom"/>), and can be evaluated, extracted from and exported, but not resumed.
    /// </summary>
    /// <param name="path">the .ckpt file to write, in a folder that exists</param>
    /// <param name="overwrite">replace a file already there; when false, an existing path is refused, atomically: of two
    /// saves to one new path, one writes it and the other is refused</param>
    public void Save(string path, bool overwrite = true)
    {
        if (!overwrite) RefuseExisting(path);
        // A model nothing trained has no recipe: its record names the one a run started from it would get by default.
        var options = TrainingOptions ?? _importedRecipe ?? (DatasetRegistry.TryGet(Metadata.Dataset)
            ?? DatasetRegistry.Get(DatasetRegistry.FolderName)).RecipeFor(Architecture.ImageSize) with
        {
            Architecture = Architecture.Name, Epochs = 0,
        };
        Checkpoint.SaveWeightsOnly(path, Metadata, Live.Network, options, _state ?? TrainingState.NothingTrained(Network.CodedBlocks.Count),
            overwrite ? null : () => Existing(path));
    }

    /// <summary>Refuses a path where a file or folder already is (the check before work; the write checks again atomically).</summary>
    /// <param name="path">the file about to be written</param>
    public static void RefuseExisting(string path)
    {
        if (File.Exists(path) || Directory.Exists(path)) throw Existing(path);
    }

    /// <summary>
    /// Checks, before long work whose files go there, that a new file can be made in <paramref name="folder"/>, by making
    /// one (permissions, read-only mounts and /proc all differ, so trying is the only reliable test): nameless where the
    /// system allows, so that nothing is left behind, even by a kill. The system's <see cref="IOException"/> or
    /// <see cref="UnauthorizedAccessException"/> when it cannot be.
    /// </summary>
    /// <param name="folder">a folder that exists</param>
    public static void RequireWritableFolder(string folder) => OutputFile.Probe(folder);

    /// <summary>
    /// Writes a text file (UTF-8) as this library writes its own: it appears whole or not at all, never through a link
    /// planted in the folder, and a killed process leaves no temporary behind. For a program's own results beside its
    /// models, such as a comparison table's JSON.
    /// </summary>
    /// <param name="path">the file to write (replaced if it exists)</param>
    /// <param name="text">its contents</param>
    public static void WriteTextFile(string path, string text) => OutputFile.WriteText(path, text);

    private static InvalidInputException Existing(string path) =>
        InvalidInputException.ForOption("Path", $"{path} already exists; choose another path or delete it");

    /// <summary>
    /// The JSON settings of the library's files and records (snake_case names, indented, nulls left out, NaN as "NaN"):
    /// serialize an <see cref="EvaluationResult"/> or a prediction with them to get what <c>crx ... --json</c> prints.
    /// </summary>
    public static System.Text.Json.JsonSerializerOptions JsonOptions => ModelFile.Json;

    /// <summary>The checkpoint this model was loaded from (null: built, trained or imported in memory).</summary>
    public string? SourcePath { get; private init; }

    /// <summary>The epochs its training had finished when it was saved or returned (0: untrained or imported).</summary>
    public int EpochsTrained => _state?.Epoch ?? 0;

    /// <summary>
    /// The validation images of the dataset the model was trained on, as it was trained: the registry's reader
    /// (<see cref="DatasetRegistry"/>), the network's image sizes, CIFAR-100's coarse labels when it has 20 classes,
    /// without the classes held out of training; refused (naming <paramref name="dataset"/> or the data folder) when
    /// they are not images of the network's shape and classes.
    /// </summary>
    /// <param name="where">where the files are (its data folder, image limit; null: the dataset's defaults)</param>
    /// <param name="dataset">another registered dataset of the same shape (null: the one in the model's record)</param>
    public ImageDataset LoadValidationSet(DatasetOptions? where = null, string? dataset = null) =>
        ModelData(where, dataset, (entry, options) => entry.LoadTestSplit(options));

    /// <summary>The training images of the model's dataset, read as <see cref="LoadValidationSet"/> reads the validation images.</summary>
    /// <param name="where">where the files are (null: the dataset's defaults)</param>
    /// <param name="dataset">another registered dataset of the same shape (null: the one in the model's record)</param>
    public ImageDataset LoadTrainingSet(DatasetOptions? where = null, string? dataset = null) =>
        ModelData(where, dataset, (entry, options) => DatasetRegistry.Load(entry.Name, options).Train);

    /// <summary>
    /// The model's dataset as its run saw it (<see cref="LoadValidationSet"/>'s reading): the training and validation
    /// images without the held-out classes, those classes' validation images apart (out-of-distribution data), and the
    /// model's own normalization.
    /// </summary>
    /// <param name="where">where the files are (null: the dataset's defaults)</param>
    public TrainingData LoadData(DatasetOptions? where = null)
    {
        var splits = ModelSplits(where, null, out var entry, out var options);
        var data = TrainingData.From(splits, Metadata.ExcludedClasses, Metadata.Normalization);
        RequireShape(data.Validation, entry, options);
        return data;
    }

    private DatasetSplits ModelSplits(DatasetOptions? where, string? dataset, out DatasetDefinition entry, out DatasetOptions options)
    {
        entry = DatasetRegistry.Get(dataset ?? Metadata.Dataset);
        options = ReadingOptions(where, entry);
        return DatasetRegistry.Load(entry.Name, options);
    }

    private DatasetOptions ReadingOptions(DatasetOptions? where, DatasetDefinition entry) => (where ?? new DatasetOptions()) with
    {
        CoarseLabels = entry.UsesCoarseLabels(Architecture.Classes),
        ImageSize = Architecture.ImageSize,
        ResizeSize = Metadata.InputTransform.Folder?.Resize,
    };

    // The error names what chose the data: the folder when one was given, else another dataset when one was asked for,
    // else the dataset's default folder.
    private void RequireShape(ImageDataset images, DatasetDefinition entry, DatasetOptions options, bool datasetGiven = false) =>
        ModelInput.Require(Architecture, images, options.DataDir is null && datasetGiven ? "Dataset" : nameof(DatasetOptions.DataDir),
            options.DataDir ?? entry.Name, SourcePath ?? "the model");

    private ImageDataset ModelData(DatasetOptions? where, string? dataset, Func<DatasetDefinition, DatasetOptions, ImageDataset> read)
    {
        var entry = DatasetRegistry.Get(dataset ?? Metadata.Dataset);
        var options = ReadingOptions(where, entry);
        var images = read(entry, options);
        RequireShape(images, entry, options, datasetGiven: dataset is not null);
        return ModelInput.WithoutClasses(images, Metadata.ExcludedClasses);
    }

    /// <summary>
    /// Top-1 (and top-5), per-class accuracy, confusion and every early decoder's accuracy on <paramref name="validation"/>,
    /// its images fitted by the model's <see cref="ModelMetadata.InputTransform"/> (as prediction fits image files).
    /// </summary>
    /// <param name="validation">images with their labels, at the network's input shape (a streamed folder: any sizes, refitted)</param>
    /// <param name="batchSize">images run at once</param>
    /// <param name="cancellationToken">stops the pass</param>
    public EvaluationResult Evaluate(ImageDataset validation, int batchSize = 256, CancellationToken cancellationToken = default)
    {
        _ = Live;
        validation = validation.FittedTo(Metadata.InputTransform);
        ModelInput.Require(Architecture, validation, nameof(validation), validation.Name, "the model");
        Network.eval();
        return EvaluationResult.Measure(Network, BatchLoader.ForEvaluation(validation, Metadata.Normalization, batchSize), validation.ClassCount, cancellationToken);
    }

    /// <summary>
    /// The standalone binary classifier of one class (the paper's "binary classifier"): only the class's subNNs and its
    /// classifier row, with a decision threshold fitted on <paramref name="trainingSet"/>. The model is not changed.
    /// </summary>
    /// <param name="classIndex">the class (among all K)</param>
    /// <param name="trainingSet">the images the network was trained on, for the threshold (the threshold maximizes F1 on them)</param>
    /// <param name="thresholdSamples">fit on a seeded random subset of this many of them (null: all), for speed</param>
    /// <param name="seed">the seed of that subset</param>
    /// <param name="batchSize">images scored at once (memory against speed)</param>
    public ExtractedClassifier ExtractBinaryClassifier(int classIndex, ImageDataset trainingSet, int? thresholdSamples = null, int seed = 1,
        int batchSize = 256) =>
        ExtractClassifier([classIndex], trainingSet, thresholdSamples, seed, batchSize);

    /// <summary>The size of class <paramref name="classIndex"/>'s binary classifier, exact and as the paper estimates it.</summary>
    /// <param name="classIndex">the class (among all K)</param>
    public BinaryClassifierSize BinaryClassifierSize(int classIndex) =>
        BinaryClassifiers.BinaryClassifierSize.Of(Architecture, classIndex, Metadata.SchemeSet);

    /// <summary>The standalone classifier of several classes: the union of their paths, one threshold per class.</summary>
    /// <param name="classes">the kept classes (among all K), in output order</param>
    /// <param name="trainingSet">the images the network was trained on, for the thresholds (each maximizes F1 on them)</param>
    /// <param name="thresholdSamples">fit on a seeded random subset of this many of them (null: all), for speed</param>
    /// <param name="seed">the seed of that subset</param>
    /// <param name="batchSize">images scored at once (memory against speed)</param>
    public ExtractedClassifier ExtractClassifier(IReadOnlyList<int> classes, ImageDataset trainingSet, int? thresholdSamples = null, int seed = 1,
        int batchSize = 256) =>
        BinaryClassifierExtraction.Extract(Live.Network, Metadata, SourcePath, classes, trainingSet.FittedTo(Metadata.InputTransform),
            new ThresholdOptions { ThresholdSamples = thresholdSamples, Seed = seed, BatchSize = batchSize });

    /// <summary>
    /// The early-exit thresholds that keep agreement with the full network at <paramref name="target"/> on
    /// <paramref name="calibrationSet"/>; pass them to <see cref="PredictionModel.PredictEarlyExit(ImageDataset, IReadOnlyList{InputImage}, EarlyExitCalibration, int, bool)"/>.
    /// </summary>
    /// <param name="calibrationSet">images the thresholds are calibrated on (labels unused)</param>
    /// <param name="target">the share of images whose early class must equal the full network's, e.g. 0.99</param>
    /// <param name="batchSize">images run at once</param>
    public EarlyExitCalibration CalibrateEarlyExit(ImageDataset calibrationSet, double target, int batchSize = 256)
    {
        Live.Network.eval();
        return EarlyExit.Calibrate(Network, BatchLoader.ForEvaluation(calibrationSet.FittedTo(Metadata.InputTransform), Metadata.Normalization, batchSize), target);
    }

    /// <summary>
    /// Early-exit inference on <paramref name="validation"/> with <paramref name="calibration"/>'s thresholds: its accuracy
    /// beside the full network's, its agreement with it, where images left, and the share of the compute spent.
    /// </summary>
    /// <param name="validation">images with their labels</param>
    /// <param name="calibration">the thresholds, from <see cref="CalibrateEarlyExit"/> or stored in the checkpoint</param>
    /// <param name="batchSize">images run at once</param>
    public EarlyExitResult EvaluateEarlyExit(ImageDataset validation, EarlyExitCalibration calibration, int batchSize = 256)
    {
        Live.Network.eval();
        return EarlyExit.Evaluate(Network, BatchLoader.ForEvaluation(validation.FittedTo(Metadata.InputTransform), Metadata.Normalization, batchSize), calibration);
    }

    /// <summary>
    /// Stores <paramref name="calibration"/> in the checkpoint this model was loaded from (its weights untouched), replacing
    /// one for the same target, for <see cref="PredictionModel.PredictEarlyExit(IReadOnlyList{string}, EarlyExitCalibration, int, bool)"/>
    /// and <c>crx predict --early-exit</c>. In a run folder the folder's lock is taken first (or held since
    /// <see cref="Load"/> with forUpdate), so a run training there cannot have its newer checkpoint replaced by this older copy.
    /// </summary>
    /// <param name="calibration">the thresholds to keep with the weights</param>
    public void StoreCalibration(EarlyExitCalibration calibration)
    {
        string path = SourcePath ?? throw new InvalidOperationException("the model was not loaded from a checkpoint; Save it first, then load it");
        using var owned = _runFolder is null ? LockRunFolderOf(path) : null;
        StoredCalibrations.Store(path, calibration);
    }

    /// <summary>
    /// A predictor over this model's network (full prediction, every early decoder, or early exit); the model keeps
    /// ownership, and once it is disposed the predictor throws <see cref="ObjectDisposedException"/>.
    /// </summary>
    public PredictionModel Predictor() => PredictionModel.From(Live.Network, Metadata, ownsNetwork: false, () => _disposed);

    /// <summary>
    /// Explains the network's answer on one image file: the prediction, every coded block's energies against the
    /// codewords, the early decoders' votes and margins, where each early-exit calibration stored with the model would
    /// stop it, and the saliency maps of the class's path and of the whole network (<see cref="ImageExplanation"/>).
    /// </summary>
    /// <param name="file">a PNG or JPEG file</param>
    /// <param name="options">the saliency class, classifiers to ask, calibrations (null: the defaults)</param>
    public ImageExplanation Explain(string file, ExplanationOptions? options = null)
    {
        using var predictor = Predictor();
        return predictor.Explain(file, options);
    }

    /// <summary>
    /// Writes the network as an ONNX file (logits and every coded block's energies; the metadata with its input record),
    /// which <see cref="PredictionModel.Load"/> and plain ONNX Runtime run; an existing file is not overwritten.
    /// </summary>
    /// <param name="path">the .onnx file to write</param>
    public void ExportOnnx(string path) => Interop.Onnx.OnnxModelExport.Export(Live.Network, Metadata, path);

    /// <summary>
    /// Writes the network as an int8 ONNX file (QDQ form, BN folded; logits and energies float), calibrated on images of
    /// the dataset its metadata names or those <paramref name="quantization"/> gives; an existing file is not overwritten.
    /// A model whose data cannot be read and no calibration data given is refused (<see cref="InvalidInputException"/>).
    /// </summary>
    /// <param name="path">the .onnx file to write</param>
    /// <param name="quantization">where the calibration images come from and how the ranges are chosen</param>
    public void ExportOnnx(string path, Interop.QuantizationOptions quantization) =>
        Interop.Onnx.OnnxModelExport.Export(Live.Network, Metadata, path, quantization);

    /// <summary>
    /// Writes the network in the authors' state_dict layout as a safetensors file, which their code's load_state_dict
    /// accepts and <see cref="Import"/> (<see cref="WeightsFormat.Safetensors"/>) reads back; an existing file is not overwritten.
    /// </summary>
    /// <param name="path">the .safetensors file to write, in a folder that exists</param>
    public void ExportOfficial(string path) => OfficialModelFile.Export(Live.Network, path);

    private bool _disposed;

    // The model, unless it has been disposed.
    private CodedResNeXtModel Live => _disposed ? throw new ObjectDisposedException(nameof(CodedResNeXtModel)) : this;

    /// <summary>Frees the network.</summary>
    public void Dispose()
    {
        _disposed = true;
        Network.Dispose();
        _runFolder?.Dispose();
    }
}

/// <summary>Where and how <see cref="CodedResNeXtModel.Train(TrainingData, TrainingOptions, TrainingSetup?, IProgress{TrainingProgress}?, CancellationToken)"/> trains.</summary>
public sealed record TrainingSetup
{
    /// <summary>
    /// The run folder: last.ckpt and best.ckpt after every epoch, metrics.jsonl, TensorBoard events; a stopped run
    /// resumes from it. Null (the default) trains in memory and writes nothing.
    /// </summary>
    public string? RunDirectory { get; init; }
    /// <summary>Continue the run in <see cref="RunDirectory"/> from its last.ckpt.</summary>
    public bool Resume { get; init; }
    /// <summary>Where the network trains (null: the CPU).</summary>
    public Device? Device { get; init; }
    /// <summary>
    /// Set libtorch's thread count to <see cref="Threads"/> and glibc's heap policy for the whole process
    /// (<see cref="ProcessSettings"/>): faster on the CPU, but process-wide, so off unless asked.
    /// </summary>
    public bool ApplyProcessSettings { get; init; }
    /// <summary>libtorch's thread count for the run, at least 1 (default: one per core); set only with <see cref="ApplyProcessSettings"/>.</summary>
    public int Threads { get; init; } = Environment.ProcessorCount;
    /// <summary>Threads decoding and augmenting batches ahead of the training step; 0 (the default) means one per core.</summary>
    public int Workers { get; init; }
    /// <summary>
    /// Stop once the run has taken this many optimizer steps in all (counting those before a resume), writing the
    /// checkpoint; null (the default) runs every epoch.
    /// </summary>
    public int? MaxSteps { get; init; }
    /// <summary>
    /// A checkpoint whose weights a new run starts from (the same architecture; optimizer, schedule and epochs start
    /// afresh); null draws fresh weights. Not with <see cref="Resume"/>, which continues from the run's own checkpoint.
    /// </summary>
    public string? InitFrom { get; init; }

    /// <summary>Throws an <see cref="InvalidInputException"/> naming the first setting out of range (threads, workers, max steps, init-from with resume).</summary>
    public void Validate() => TrainingOptionsValidation.Validate(this);
    /// <summary>Called after each finished, validated epoch.</summary>
    public Action<EpochMetrics>? EpochDone { get; init; }
}
