namespace CodedResNeXt;

/// <summary>What a piece of bad input is: a file, an option of the library's options records, or a value.</summary>
public enum InputKind
{
    /// <summary>A file: its path is the subject's name.</summary>
    File,
    /// <summary>An option of the library's options records (the CLI maps it to its flag).</summary>
    Option,
    /// <summary>A value given directly, such as a class name.</summary>
    Value,
}

/// <summary>
/// The subject of an <see cref="InvalidInputException"/>. Options are named as the library's options records name
/// them (<c>nameof(TrainingOptions.BatchSize)</c>); a front end maps them to its own words (the CLI to its flags).
/// </summary>
/// <param name="Kind">a file, an option or a value</param>
/// <param name="Name">the path, the option's name or the value's text</param>
public sealed record InputSubject(InputKind Kind, string Name)
{
    /// <summary>A file, named by its path.</summary>
    public static InputSubject File(string path) => new(InputKind.File, path);
    /// <summary>An option, named as the library's options records name it (e.g. <c>nameof(TrainingOptions.BatchSize)</c>).</summary>
    public static InputSubject Option(string name) => new(InputKind.Option, name);
    /// <summary>A value given by the user, named by its text.</summary>
    public static InputSubject Value(string text) => new(InputKind.Value, text);

    /// <summary>The <see cref="Name"/>: a path, an option name or a value, as messages show it.</summary>
    public override string ToString() => Name;
}

/// <summary>
/// Bad input from a user: a malformed file, an inconsistent option, an unknown name. It carries its
/// <see cref="Subject"/> (when it has one) apart from the <see cref="Problem"/>, so that a front end can name the
/// subject in its own words; <see cref="Exception.Message"/> is the one line "subject: problem". Anything else that
/// escapes the library is a bug.
/// </summary>
public sealed class InvalidInputException : Exception
{
    /// <summary>An error whose message already says everything (its subject, if any, inside the text).</summary>
    public InvalidInputException(string message) : base(message) => Problem = message;

    /// <summary>An error about <paramref name="subject"/>; the message is "subject: problem".</summary>
    /// <param name="subject">what is wrong: a file, an option or a value</param>
    /// <param name="problem">what is wrong with it, without the subject</param>
    public InvalidInputException(InputSubject subject, string problem) : base($"{subject}: {problem}")
    {
        Subject = subject;
        Problem = problem;
    }

    /// <summary>What the error is about; null when the message already names it (<see cref="InvalidInputException(string)"/>).</summary>
    public InputSubject? Subject { get; }

    /// <summary>What is wrong, without the subject.</summary>
    public string Problem { get; }

    /// <summary>The same problem said of another subject (an OOD dataset's errors are the OOD options').</summary>
    public InvalidInputException About(InputSubject subject) => new(subject, Problem);

    /// <summary>An error about the file at <paramref name="path"/>.</summary>
    public static InvalidInputException ForFile(string path, string problem) => new(InputSubject.File(path), problem);
    /// <summary>An error about option <paramref name="option"/> (the options record's property name).</summary>
    public static InvalidInputException ForOption(string option, string problem) => new(InputSubject.Option(option), problem);
}
