using CodedResNeXt.Evaluation;
using CodedResNeXt.Model;
using static TorchSharp.torch;

namespace CodedResNeXt.Tests.Evaluation;

public class ClassificationTests
{
    private static EvaluatedBatch Batch(float[,] logits, int[] labels)
    {
        int n = logits.GetLength(0), k = logits.GetLength(1);
        var flat = new float[n * k];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < k; j++) flat[i * k + j] = logits[i, j];
        var t = tensor(flat, [n, k]);
        var predicted = t.argmax(1).data<long>().ToArray();
        return new EvaluatedBatch(Enumerable.Range(0, n).ToList(), tensor(labels.Select(l => (long)l).ToArray()), labels,
            new NetworkOutput(t, [], []), predicted, new Dictionary<int, Tensor>());
    }

    [Fact]
    public void Top_1_per_class_confusion_and_for_20_classes_top_5_counted_by_hand()
    {
        // 20 classes, logits = the class index, so the ranking is 19, 18, 17, 16, 15, 14, ... for every image;
        // image 0's class 19 is top-1; image 1's class 15 is 5th (in the top 5); image 2's class 14 is 6th (not).
        var logits = new float[3, 20];
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 20; j++) logits[i, j] = j;
        var accumulator = new ClassificationAccumulator(20);
        accumulator.Add(Batch(logits, [19, 15, 14]));
        var result = accumulator.Result();
        Assert.Equal(3, result.Count);
        Assert.Equal(1.0 / 3, result.Top1, 12);
        Assert.Equal(2.0 / 3, result.Top5!.Value, 12);
        Assert.Equal(1, result.Confusion[15][19]);
        Assert.Equal(1.0, result.PerClassAccuracy[19]);
        Assert.True(double.IsNaN(result.PerClassAccuracy[0]));
    }

    [Fact]
    public void Fewer_than_20_classes_have_no_top_5()
    {
        var accumulator = new ClassificationAccumulator(10);
        accumulator.Add(Batch(new float[,] { { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9 } }, [9]));
        Assert.Null(accumulator.Result().Top5);
        Assert.Equal(1.0, accumulator.Result().Top1);
    }
}
