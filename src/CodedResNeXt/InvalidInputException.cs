namespace CodedResNeXt;

/// <summary>
/// Bad input from a user: a malformed file, an inconsistent option, an unknown name.
/// The message is one line that names the file or flag and says what is wrong; the CLI prints it as is
/// and exits non-zero. Anything else that escapes the library is a bug.
/// </summary>
public sealed class InvalidInputException(string message) : Exception(message);
