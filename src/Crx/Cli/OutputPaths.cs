using CodedResNeXt;

namespace Crx.Cli;

/// <summary>
/// The CLI's own output files. Checks an output location before any work starts, so a typo in --out costs a second,
/// not an epoch or an analysis: nothing is created, the deepest folder of the path that exists must take a new file
/// (<see cref="CodedResNeXtModel.RequireWritableFolder"/>), and no part of the path may be a file. And writes the few
/// files the tool itself makes (a run's config.json, the quickstart's comparison.json) as the library writes its own:
/// atomically, never through a link planted in the folder.
/// </summary>
internal static class OutputPaths
{
    /// <summary>A folder that exists and takes new files, or that can be created.</summary>
    public static void RequireWritableFolder(string path, string flag)
    {
        if (File.Exists(path)) throw new InvalidInputException($"{flag}: {path} is a file; give a folder");
        RequireCreatable(path, flag, path);
    }

    /// <summary>A file that can be created or replaced.</summary>
    public static void RequireWritableFile(string path, string flag)
    {
        if (Directory.Exists(path)) throw new InvalidInputException($"{flag}: {path} is a folder; give a file name");
        RequireCreatable(Path.GetDirectoryName(Path.GetFullPath(path))!, flag, path);
    }

    private static void RequireCreatable(string folder, string flag, string named)
    {
        string existing = Path.GetFullPath(folder);
        while (!Directory.Exists(existing))
        {
            if (File.Exists(existing)) throw new InvalidInputException($"{flag}: cannot write {named}: {existing} is a file, not a folder");
            existing = Path.GetDirectoryName(existing) ?? throw new InvalidInputException($"{flag}: cannot write {named}");
        }
        try { CodedResNeXtModel.RequireWritableFolder(existing); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        { throw new InvalidInputException($"{flag}: cannot write to {named} ({e.Message.Split('\n')[0].Trim().TrimEnd('.')})"); }
    }
}
