namespace CodedResNeXt.Training;

/// <summary>Consistency checks of a checkpoint's meta.json that the JSON schema alone cannot express.</summary>
internal static class ModelFileChecks
{
    public static void RequireConsistent(CheckpointInfo info, string path)
    {
        if (info.Options is null || info.State is null || info.Architecture is null)
            throw new InvalidInputException($"{path}: meta.json is incomplete (no options, state or architecture)");
        // The class names label every output; a different count would misname or crash every per-class table.
        if (info.ClassNames is null || info.ClassNames.Count != info.Architecture.Classes)
            throw new InvalidInputException(
                $"{path}: meta.json lists {info.ClassNames?.Count ?? 0} class names but the model has {info.Architecture.Classes} classes");
    }
}
