namespace CodedResNeXt.Experiments;

/// <summary>How one of the paper's claims fares in the runs, in the report's vocabulary.</summary>
public enum Outcome
{
    /// <summary>The runs show it (beyond the seeds' spread where a spread applies).</summary>
    Holds,
    /// <summary>The runs show part of it, or show it only weakly.</summary>
    HoldsOnlyInPart,
    /// <summary>The runs show the opposite beyond the spread.</summary>
    DoesNotHold,
    /// <summary>The runs neither show it nor its opposite beyond the spread.</summary>
    NotShown,
    /// <summary>Too few runs (or seeds) are recorded to judge it.</summary>
    NotJudgedYet,
}

/// <summary>
/// One claim judged from the runs, as a record the report renders and programs read (never a sentence to parse).
/// </summary>
/// <param name="Claim">the claim with what it is about, e.g. "Coded at least as accurate as its control (fashion-tiny, 15 epochs)"</param>
/// <param name="Outcome">how it fares; null for a figure the report states without judging it</param>
/// <param name="Reason">what decided the outcome, in words ("" when the outcome says it all)</param>
/// <param name="Evidence">the figures it was judged from</param>
public sealed record Verdict(string Claim, Outcome? Outcome, string Reason, string Evidence)
{
    /// <summary>The outcome as the report writes it: "holds", "holds only in part", "does not hold", "not shown", "not judged yet".</summary>
    public static string Words(Outcome outcome) => outcome switch
    {
        Experiments.Outcome.Holds => "holds",
        Experiments.Outcome.HoldsOnlyInPart => "holds only in part",
        Experiments.Outcome.DoesNotHold => "does not hold",
        Experiments.Outcome.NotShown => "not shown",
        _ => "not judged yet",
    };

    /// <summary>The report's sentence: "claim: outcome: reason (evidence)."</summary>
    public string Sentence
    {
        get
        {
            string judged = Outcome is { } o ? ": " + Words(o) + (Reason.Length > 0 ? ": " + Reason : "") : "";
            string evidence = Evidence.Length == 0 ? "" : Outcome is null ? ": " + Evidence : $" ({Evidence})";
            return $"{Claim}{judged}{evidence}.";
        }
    }

    /// <inheritdoc />
    public override string ToString() => Sentence;
}
