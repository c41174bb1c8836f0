namespace CodedResNeXt;

/// <summary>
/// Bad input from a user: a malformed file, an inconsistent option, an unknown name. It says what it is about apart
/// from the <see cref="Problem"/>, a <see cref="File"/> or an <see cref="Option"/> (options are named as the library's
/// options records name them, <c>nameof(TrainingOptions.BatchSize)</c>), so that a front end can name the subject in
/// its own words (the CLI maps an option to its flag); <see cref="Exception.Message"/> is the one line
/// "subject: problem". Anything else that escapes the library is a bug.
/// </summary>
public sealed class InvalidInputException : Exception
{
    /// <summary>An error whose message already says everything (its subject, if any, inside the text).</summary>
    /// <param name="message">the one line, subject included</param>
    public InvalidInputException(string message) : base(message) => Problem = message;

    private InvalidInputException(string? file, string? option, string problem) : base($"{file ?? option}: {problem}")
    {
        File = file;
        Option = option;
        Problem = problem;
    }

    /// <summary>The file the error is about, its path as given; null when it is about an option, or the message names its subject.</summary>
    public string? File { get; }

    /// <summary>
    /// The option the error is about, as the library's options records name it (e.g. <c>nameof(TrainingOptions.BatchSize)</c>);
    /// null when it is about a file, or the message names its subject.
    /// </summary>
    public string? Option { get; }

    /// <summary>What is wrong, without the subject.</summary>
    public string Problem { get; }

    /// <summary>The same problem said of another option (an OOD dataset's errors are the OOD options').</summary>
    /// <param name="option">the option, as the options records name it</param>
    public InvalidInputException AboutOption(string option) => new(null, option, Problem);

    /// <summary>An error about the file at <paramref name="path"/>; the message is "path: problem".</summary>
    /// <param name="path">the file, as the user gave it</param>
    /// <param name="problem">what is wrong with it, without the path</param>
    public static InvalidInputException ForFile(string path, string problem) => new(path, null, problem);

    /// <summary>An error about option <paramref name="option"/>; the message is "option: problem".</summary>
    /// <param name="option">the options record's property name</param>
    /// <param name="problem">what is wrong with it, without the option</param>
    public static InvalidInputException ForOption(string option, string problem) => new(null, option, problem);
}
