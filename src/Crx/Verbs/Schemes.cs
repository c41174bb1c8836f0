using CodedResNeXt.CodingSchemes;
using CodedResNeXt.Model;

namespace Crx.Verbs;

/// <summary>How the CLI resolves a coding scheme named by an architecture.</summary>
internal static class Schemes
{
    public static CodingScheme Resolve(string name) => PublishedSchemes.Get(name);
}
