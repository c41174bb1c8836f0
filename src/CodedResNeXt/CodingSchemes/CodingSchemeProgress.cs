namespace CodedResNeXt.CodingSchemes;

/// <summary>
/// Where the greedy packing stands: the distance it is trying, the fraction of all words of the weight it has
/// passed (in increasing order), and how many it kept. A fraction that grows slowly means the search is out of reach.
/// </summary>
/// <param name="Distance">the minimum distance being packed for</param>
/// <param name="Fraction">the share of all words of the weight passed so far, in [0, 1]</param>
/// <param name="Kept">words kept so far</param>
public sealed record CodingSchemeProgress(int Distance, double Fraction, int Kept);
