namespace CodedResNeXt.CodingSchemes;

/// <summary>
/// Where the greedy packing stands: the distance it is trying, the fraction of all words of the weight it has
/// passed (in increasing order), and how many it kept. A fraction that grows slowly means the search is out of reach.
/// </summary>
public sealed record CodingSchemeProgress(int Distance, double Fraction, int Kept);
