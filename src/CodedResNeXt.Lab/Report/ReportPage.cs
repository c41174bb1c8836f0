using CodedResNeXt.Evaluation;
using System.Text;
using CodedResNeXt.Analysis;
using static CodedResNeXt.Report.HtmlTable;

namespace CodedResNeXt.Report;

/// <summary>
/// Composes index.html from the analysis results: one section per measurement of docs/method.md#what-a-trained-network-gives-you, each with its
/// figure and a table of the same numbers. Figures are drawn while composing and collected in <see cref="Figures"/>.
/// Parts that were not measured (no coded blocks, no out-of-distribution set) are said so instead of drawn.
/// </summary>
internal sealed class ReportPage
{
    /// <summary>The output histograms of this many classes are drawn (the first ones in class order).</summary>
    public const int HistogramClasses = 4;

    /// <summary>Codeword tables longer than this show their first rows only (ImageNet has 1000 classes).</summary>
    const int MaxCodewordRows = 100;

    readonly AnalysisResults _r;
    readonly StringBuilder _html = new();
    readonly List<ReportFigure> _figures = [];

    ReportPage(AnalysisResults results) => _r = results;

    public IReadOnlyList<ReportFigure> Figures => _figures;

    public string Html => _html.ToString();

    public static ReportPage Compose(AnalysisResults results)
    {
        var page = new ReportPage(results);
        page.Document();
        return page;
    }

    bool HasCodedBlocks => _r.EarlyDecoding.CodedBlockIndices.Count > 0;

    bool HasOod => _r.BinaryClassifiers.Any(c => c.OutOfDistribution is not null);

    string ClassName(int cls) => Names.Of(_r.ClassNames, cls);

    void Document()
    {
        _html.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
            .Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
            .Append("<title>").Append(Escape($"Coded ResNeXt analysis: {_r.Architecture} on {_r.Dataset}")).Append("</title>\n")
            .Append("<style>\n").Append(ReportStyle.Css).Append("</style>\n</head>\n<body>\n")
            .Append("<h1>Coded ResNeXt analysis</h1>\n")
            .Append("<p class=\"lead\">").Append(Escape($"{_r.Architecture} on {_r.Dataset}, checkpoint {_r.Checkpoint}")).Append("</p>\n");
        Summary();
        EarlyDecoding();
        Specialization();
        BinaryClassifiers();
        EnergyProfiles();
        ExamplePaths();
        _html.Append("</body>\n</html>\n");
    }

    void Section(string id, string title) =>
        _html.Append("<section id=\"").Append(id).Append("\">\n<h2>").Append(Escape(title)).Append("</h2>\n");

    void EndSection() => _html.Append("</section>\n");

    void Note(string text) => _html.Append("<p class=\"note\">").Append(Escape(text)).Append("</p>\n");

    void Figure(ReportFigure figure, string caption)
    {
        _html.Append("<figure>").Append(Image(figure))
            .Append("<figcaption>").Append(Escape(caption)).Append("</figcaption></figure>\n");
    }

    /// <summary>The figure as an embedded image; every figure of the page passes here once.</summary>
    string Image(ReportFigure figure)
    {
        _figures.Add(figure);
        return $"<img src=\"{figure.DataUri}\" width=\"{figure.Width}\" height=\"{figure.Height}\" alt=\"{Escape(figure.AltText)}\">";
    }

    void Summary()
    {
        Section("summary", "Summary");
        var blocks = _r.EarlyDecoding.CodedBlockIndices;
        var summary = new HtmlTable("summary")
            .Row(Text("Checkpoint"), Text(_r.Checkpoint))
            .Row(Text("Architecture"), Text(_r.Architecture))
            .Row(Text("Dataset"), Text($"{_r.Dataset} ({_r.ClassNames.Count} classes)"))
            .Row(Text("Coded blocks"), Text(blocks.Count > 0 ? string.Join(", ", blocks) : "none"))
            .Row(Text("Validation top-1"), Text(Format.Percent(_r.EarlyDecoding.Top1)));
        if (_r.ValidationTop5 is { } top5) summary.Row(Text("Validation top-5"), Text(Format.Percent(top5)));
        _html.Append(summary.Row(Text("Out-of-distribution negatives"), Text(_r.OodSource ?? "none")));
        EndSection();
    }

    void EarlyDecoding()
    {
        Section("early-decoding", "Early decoding");
        var early = _r.EarlyDecoding;
        if (!HasCodedBlocks)
        {
            Note("The network has no coded blocks, so there is no early decoder.");
            EndSection();
            return;
        }
        if (early.Accuracy.Count != early.CodedBlockIndices.Count || early.AgreementWithFinal.Count != early.CodedBlockIndices.Count)
            throw new ArgumentException($"early decoding: {early.CodedBlockIndices.Count} coded blocks but {early.Accuracy.Count} accuracies " +
                                        $"and {early.AgreementWithFinal.Count} agreements");
        _html.Append("<div class=\"pair\">\n");
        Figure(EarlyDecodingFigure.Draw(early),
            "Each coded block decodes the class from its subNN energies alone: the class whose codeword is nearest to the energies scaled to sum to N_act (the paper's Eq. 7).");
        var table = new HtmlTable().HeaderRow(Text("Block"), Text("Early-decoder accuracy"), Text("Agreement with final prediction"));
        for (int b = 0; b < early.CodedBlockIndices.Count; b++)
            table.Row(Number(early.CodedBlockIndices[b].ToString()), Number(Format.Percent(early.Accuracy[b])),
                Number(Format.Percent(early.AgreementWithFinal[b])));
        table.FooterRow(Text("final (top-1)"), Number(Format.Percent(early.Top1)), Number(Format.Percent(1)));
        _html.Append(table).Append("</div>\n");
        EndSection();
    }

    void Specialization()
    {
        Section("specialization", "Specialization");
        if (_r.Specialization is not { } s)
        {
            Note(HasCodedBlocks ? "Specialization was not measured." : "The network has no coded blocks, so no subNN is specialized.");
            EndSection();
            return;
        }
        _html.Append("<div class=\"pair\">\n");
        Figure(SpecializationFigure.Draw(s),
            $"Block {s.BlockIndex}: for every validation image, j random subNNs active for its class (or j inactive ones) are removed. " +
            "Removing active subNNs should cost accuracy; removing inactive ones should not.");
        var table = new HtmlTable().HeaderRow(Text("j"), Text("Remove j active subNNs"), Text("Remove j inactive subNNs"));
        table.Row(Number("0"), Number(Format.Percent(s.Baseline)), Number(Format.Percent(s.Baseline)));
        for (int j = 1; j <= Math.Max(s.ActiveRemoved.Count, s.InactiveRemoved.Count); j++)
            table.Row(Number(j.ToString()), PercentOrDash(s.ActiveRemoved, j - 1), PercentOrDash(s.InactiveRemoved, j - 1));
        _html.Append(table).Append("</div>\n");
        EndSection();
    }

    static Cell PercentOrDash(IReadOnlyList<double> values, int i) => Number(i < values.Count ? Format.Percent(values[i]) : "–");

    void BinaryClassifiers()
    {
        Section("binary-classifiers", "Binary classifiers");
        var classifiers = _r.BinaryClassifiers;
        if (classifiers.Count == 0)
        {
            Note("No binary classifiers were measured.");
            EndSection();
            return;
        }
        _html.Append("<p>Class k's binary classifier keeps, in every coded block, only the subNNs its codeword activates, and only logit k. " +
                     "Its threshold maximizes F1 on the training set; precision and recall are measured on the validation set.</p>\n");
        Figure(PrecisionRecallFigure.Draw(classifiers), HasOod
            ? "One point per class: against in-distribution negatives (circles) and out-of-distribution negatives (triangles)."
            : "One point per class, against in-distribution negatives.");

        _html.Append("<h3>Output histograms</h3>\n<div class=\"grid\">\n");
        foreach (var c in classifiers.Take(HistogramClasses))
            Figure(OutputHistogramFigure.Draw(c), $"Class {c.Class} ({c.ClassName}): the dashed line is the decision threshold.");
        _html.Append("</div>\n");
        if (classifiers.Count > HistogramClasses)
            Note($"Histograms of the first {HistogramClasses} of {classifiers.Count} classes.");

        _html.Append("<h3>Per class</h3>\n").Append(ClassifierTable(classifiers));
        EndSection();
    }

    HtmlTable ClassifierTable(IReadOnlyList<BinaryClassifierResult> classifiers)
    {
        bool ood = HasOod;
        var table = new HtmlTable("classifiers");
        var group = new List<Cell> { Raw("", "colspan=\"6\""), Raw("In-distribution negatives", "colspan=\"2\"") };
        if (ood) group.Add(Raw("Out-of-distribution negatives", "colspan=\"2\""));
        table.HeaderRow([.. group]);
        var header = new List<Cell> { Text("Class"), Text("Name"), Text("Parameters"), Text("Fraction"), Text("Threshold"), Text("Train F1"),
            Text("Precision"), Text("Recall") };
        if (ood) header.AddRange([Text("Precision"), Text("Recall")]);
        table.HeaderRow([.. header]);

        foreach (var c in classifiers)
        {
            var row = new List<Cell> { Number(c.Class.ToString()), Text(c.ClassName), Number(Format.Count(c.Parameters)),
                Number(Format.Percent(c.ParameterFraction)), Number(Format.Number(c.Threshold)), Number(Format.Number(c.TrainF1)),
                Number(Format.Percent(c.InDistribution.Precision)), Number(Format.Percent(c.InDistribution.Recall)) };
            if (ood)
                row.AddRange(c.OutOfDistribution is { } o
                    ? [Number(Format.Percent(o.Precision)), Number(Format.Percent(o.Recall))]
                    : [Number("–"), Number("–")]);
            table.Row([.. row]);
        }

        var withOod = classifiers.Where(c => c.OutOfDistribution is not null).Select(c => c.OutOfDistribution!).ToList();
        var mean = new List<Cell> { Text("mean"), Text(""), Number(Format.Count((long)Math.Round(classifiers.Average(c => (double)c.Parameters)))),
            Number(Format.Percent(classifiers.Average(c => c.ParameterFraction))), Number(""), Number(Format.Number(classifiers.Average(c => c.TrainF1))),
            Number(Format.Percent(classifiers.Average(c => c.InDistribution.Precision))), Number(Format.Percent(classifiers.Average(c => c.InDistribution.Recall))) };
        if (ood) mean.AddRange([Number(Format.Percent(withOod.Average(s => s.Precision))), Number(Format.Percent(withOod.Average(s => s.Recall)))]);
        table.FooterRow([.. mean]);
        return table;
    }

    void EnergyProfiles()
    {
        Section("energy", "Energy by class and codewords");
        if (_r.EnergyProfiles.Count == 0)
        {
            Note(HasCodedBlocks ? "Energy profiles were not measured." : "The network has no coded blocks, so there are no codewords.");
            EndSection();
            return;
        }
        _html.Append("<p>Mean subNN energy of the validation images of each class (scaled to sum to the number of active subNNs, like a codeword), " +
                     "beside the codewords the coding loss asked for.</p>\n");
        foreach (var profile in _r.EnergyProfiles)
        {
            _html.Append("<h3>").Append(Escape($"Block {profile.BlockIndex} ({profile.Scheme})")).Append("</h3>\n<div class=\"pair\">\n");
            if (profile.MeanEnergyByClass.Any(row => row.Count > 0))
                Figure(EnergyHeatmapFigure.Draw(profile, _r.ClassNames), $"Mean energy per class and subNN in block {profile.BlockIndex}.");
            else
                Note("No energies were recorded in this block.");
            _html.Append("<div>").Append(CodewordTable(profile.Codewords)).Append("</div>\n</div>\n");
        }
        EndSection();
    }

    string CodewordTable(IReadOnlyList<string> codewords)
    {
        int subNNs = codewords.Count == 0 ? 0 : codewords.Max(w => w.Length);
        var table = new HtmlTable("codewords");
        table.HeaderRow([Text("Class"), .. Enumerable.Range(0, subNNs).Select(n => Number(n.ToString()))]);
        foreach (var (word, k) in codewords.Take(MaxCodewordRows).Select((w, k) => (w, k)))
            table.Row([Text($"{k} {ClassName(k)}"), .. word.Select(bit => bit == '1' ? Raw("1", "class=\"on\"") : Raw("0"))]);
        string note = codewords.Count > MaxCodewordRows
            ? $"<p class=\"note\">The first {MaxCodewordRows} of {codewords.Count} codewords.</p>\n" : "";
        return "<p class=\"caption\">Codewords (1: the subNN works for the class)</p>\n" + table + note;
    }

    void ExamplePaths()
    {
        Section("paths", "Example paths");
        var paths = _r.ExamplePaths;
        if (paths.Count == 0)
        {
            Note("No example paths were recorded.");
            EndSection();
            return;
        }
        _html.Append("<p>Validation images and the subNN energies they produced in each coded block; dots mark the subNNs of the true class's codeword.</p>\n");
        _html.Append("<div class=\"grid\">\n");
        for (int i = 0; i < paths.Count; i++) Path(paths[i], i + 1);
        _html.Append("</div>\n");
        EndSection();
    }

    void Path(ImagePath p, int number)
    {
        string label = ClassName(p.Label), predicted = ClassName(p.Predicted);
        var thumbnail = ImageThumbnail.Draw(p.Channels, p.Height, p.Width, p.Pixels, $"path-{number}-image.png",
            $"Validation image {p.Index}, labelled {label}");
        _html.Append("<div class=\"path\">\n<div class=\"pair\">").Append(Image(thumbnail)).Append("\n<div class=\"facts\">")
            .Append("<p><b>Image ").Append(p.Index).Append("</b></p>")
            .Append("<p>label: ").Append(Escape(label)).Append("</p>")
            .Append("<p>predicted: <span class=\"").Append(p.Predicted == p.Label ? "ok" : "bad").Append("\">")
            .Append(Escape(predicted)).Append("</span></p>");
        if (p.EarlyPredictions.Count > 0)
        {
            _html.Append("<p>early decoders:</p><ul>");
            for (int b = 0; b < p.EarlyPredictions.Count; b++)
            {
                string block = b < _r.EarlyDecoding.CodedBlockIndices.Count ? _r.EarlyDecoding.CodedBlockIndices[b].ToString() : $"#{b + 1}";
                _html.Append("<li>block ").Append(block).Append(": <span class=\"")
                    .Append(p.EarlyPredictions[b] == p.Label ? "ok" : "bad").Append("\">")
                    .Append(Escape(ClassName(p.EarlyPredictions[b]))).Append("</span></li>");
            }
            _html.Append("</ul>");
        }
        _html.Append("</div>\n</div>\n");
        if (p.Energies.Any(row => row.Count > 0))
            _html.Append(Image(PathEnergyFigure.Draw(p, _r.EarlyDecoding.CodedBlockIndices, _r.EnergyProfiles, $"path-{number}-energies.png",
                $"SubNN energies of validation image {p.Index} in every coded block")));
        _html.Append("</div>\n");
    }
}
