using System.Text.RegularExpressions;
using Markdig;
using Markdig.Extensions.AutoIdentifiers;
using Markdig.Renderers.Html;
using Markdig.Syntax;
using Markdig.Syntax.Inlines;

namespace CodedResNeXt.Tests.Docs;

/// <summary>
/// The repository's documentation holds together: README.md and docs/*.md link only to files (and headings) that
/// exist inside the repository, name only source paths that exist, the README stays short, and the source code's
/// comments cite sections of the docs that exist. Headings get the identifiers GitHub gives them (Markdig's GitHub
/// mode), so an anchor that passes here works on the rendered page.
/// </summary>
public partial class DocumentationLinkTests
{
    private static readonly MarkdownPipeline Pipeline = new MarkdownPipelineBuilder()
        .UseAutoIdentifiers(AutoIdentifierOptions.GitHub).UsePipeTables().Build();

    private static readonly string Root = FindRoot();

    /// <summary>The folder holding CodedResNeXt.slnx, found upwards from the test binaries.</summary>
    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "CodedResNeXt.slnx"))) return dir.FullName;
        throw new InvalidOperationException($"no CodedResNeXt.slnx above {AppContext.BaseDirectory}");
    }

    /// <summary>README.md and every markdown file under docs/.</summary>
    public static IEnumerable<string> Documents() =>
        [Path.Combine(Root, "README.md"), .. Directory.GetFiles(Path.Combine(Root, "docs"), "*.md", SearchOption.AllDirectories).Order()];

    private static readonly Dictionary<string, MarkdownDocument> Parsed = [];

    private static MarkdownDocument Parse(string file)
    {
        lock (Parsed)
        {
            if (!Parsed.TryGetValue(file, out var document))
                Parsed[file] = document = Markdown.Parse(File.ReadAllText(file), Pipeline);
            return document;
        }
    }

    /// <summary>The identifiers of a markdown file's headings, as GitHub renders them.</summary>
    private static HashSet<string> Anchors(string file) =>
        [.. Parse(file).Descendants<HeadingBlock>().Select(h => h.TryGetAttributes()?.Id).OfType<string>()];

    private static string Relative(string path) => Path.GetRelativePath(Root, path);

    [Fact]
    public void Every_relative_link_points_to_an_existing_file_inside_the_repository_and_to_an_existing_heading()
    {
        var problems = new List<string>();
        int checkedLinks = 0;
        foreach (string doc in Documents())
        {
            foreach (var link in Parse(doc).Descendants<LinkInline>())
            {
                string url = link.Url ?? "";
                if (url.Length == 0 || UrlScheme().IsMatch(url)) continue; // https:, mailto:, …: not a file here
                checkedLinks++;
                int hash = url.IndexOf('#');
                string pathPart = Uri.UnescapeDataString(hash < 0 ? url : url[..hash]);
                string? anchor = hash < 0 ? null : url[(hash + 1)..];
                string target = pathPart.Length == 0 ? doc : Path.GetFullPath(Path.Combine(Path.GetDirectoryName(doc)!, pathPart));
                string where = $"{Relative(doc)} line {link.Line + 1}: ({url})";
                if (!target.StartsWith(Root + Path.DirectorySeparatorChar) && target != Root)
                    problems.Add($"{where} leaves the repository");
                else if (!File.Exists(target) && !Directory.Exists(target))
                    problems.Add($"{where}: {Relative(target)} does not exist");
                else if (anchor is not null && (!target.EndsWith(".md") || !Anchors(target).Contains(anchor)))
                    problems.Add($"{where}: {Relative(target)} has no heading #{anchor}");
            }
        }
        Assert.True(problems.Count == 0, string.Join('\n', problems));
        Assert.True(checkedLinks > 20, $"only {checkedLinks} relative links found: is the parsing right?");
    }

    [Fact]
    public void Repository_paths_named_in_the_docs_exist()
    {
        var problems = new List<string>();
        int named = 0;
        foreach (string doc in Documents())
        {
            foreach (var code in Parse(doc).Descendants<CodeInline>())
            {
                string content = code.Content;
                if (!RepositoryPath().IsMatch(content)) continue;
                named++;
                string path = Path.Combine(Root, content.Split('#')[0].TrimEnd('/'));
                if (!File.Exists(path) && !Directory.Exists(path))
                    problems.Add($"{Relative(doc)} line {code.Line + 1}: `{content}` does not exist");
            }
        }
        Assert.True(problems.Count == 0, string.Join('\n', problems));
        Assert.True(named > 20, $"only {named} repository paths found: is the parsing right?");
    }

    [Fact]
    public void The_README_is_at_most_250_lines()
    {
        int lines = File.ReadAllLines(Path.Combine(Root, "README.md")).Length;
        Assert.True(lines <= 250, $"README.md has {lines} lines; move reference material to docs/");
    }

    [Fact]
    public void Source_comments_cite_docs_sections_that_exist_and_no_spec_file_the_repository_lacks()
    {
        var problems = new List<string>();
        int cited = 0;
        var files = new[] { "src", "tests", "bench" }
            .SelectMany(d => Directory.GetFiles(Path.Combine(Root, d), "*.cs", SearchOption.AllDirectories))
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}")
                     && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}"));
        foreach (string file in files)
        {
            string[] lines = File.ReadAllLines(file);
            for (int i = 0; i < lines.Length; i++)
            {
                if (SpecCitation().IsMatch(lines[i]))
                    problems.Add($"{Relative(file)} line {i + 1} cites a SPEC file the repository does not have");
                foreach (Match m in DocsCitation().Matches(lines[i]))
                {
                    cited++;
                    string doc = Path.Combine(Root, "docs", m.Groups[1].Value + ".md");
                    if (!File.Exists(doc)) problems.Add($"{Relative(file)} line {i + 1}: docs/{m.Groups[1].Value}.md does not exist");
                    else if (!Anchors(doc).Contains(m.Groups[2].Value))
                        problems.Add($"{Relative(file)} line {i + 1}: docs/{m.Groups[1].Value}.md has no heading #{m.Groups[2].Value}");
                }
            }
        }
        Assert.True(problems.Count == 0, string.Join('\n', problems));
        Assert.True(cited > 20, $"only {cited} citations of docs sections found: is the pattern right?");
    }

    [Fact]
    public void Anchors_follow_GitHub_so_the_checks_above_mean_what_they_say()
    {
        // The oracle: identifiers GitHub gives these headings on a rendered page.
        var document = Markdown.Parse("## `crx bench`: speed and memory\n\n## Interop: the authors' code and ONNX\n\n## Set up\n\n## Set up\n", Pipeline);
        var ids = document.Descendants<HeadingBlock>().Select(h => h.TryGetAttributes()?.Id).ToList();
        Assert.Equal(["crx-bench-speed-and-memory", "interop-the-authors-code-and-onnx", "set-up", "set-up-1"], ids);
    }

    [GeneratedRegex(@"^[a-zA-Z][a-zA-Z0-9+.-]*:")]
    private static partial Regex UrlScheme();

    /// <summary>A path inside the repository written as code: a top-level folder, then no spaces or placeholders.</summary>
    [GeneratedRegex(@"^(src|tests|bench|build|docs|experiments|results|samples)/[^\s<>*…{}]*$")]
    private static partial Regex RepositoryPath();

    [GeneratedRegex(@"SPE[C] (section|§)\s*\d|SPE[C] sections")]
    private static partial Regex SpecCitation();

    [GeneratedRegex(@"docs/([a-z-]+)\.md#([a-z0-9-]+)")]
    private static partial Regex DocsCitation();
}
