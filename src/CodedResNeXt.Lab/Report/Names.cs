namespace CodedResNeXt.Report;

/// <summary>Class names as the report shows them; a class index without a name shows as the number.</summary>
internal static class Names
{
    public static string Of(IReadOnlyList<string> classNames, int cls) =>
        cls >= 0 && cls < classNames.Count ? classNames[cls] : cls.ToString();
}
